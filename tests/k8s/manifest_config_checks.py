"""Checks of cluster.yaml against the manifests: endpoints, Redis Cluster nodes, and the
notification service's console, trusted proxies and API."""

from manifest_common import *  # noqa: F401,F403 (constants and helpers of every check)


class ConfigChecks:
    """Mixed into TreeChecker (check_manifests.py): uses its of_kind, find, check and tree."""

    def check_config_endpoints(self):
        """Every address in cluster.yaml names a Service of this tree with that port."""
        for cm in self.of_kind("ConfigMap"):
            text = (cm.get("data") or {}).get("cluster.yaml")
            if text is None:
                continue
            try:
                config = yaml.safe_load(text) or {}
            except yaml.YAMLError as e:
                self.check("config-endpoints", False, f"ConfigMap {name_of(cm)} cluster.yaml is not YAML: {e}")
                continue
            redis = config.get("redis") or {}
            if redis.get("sentinels"):
                # Sentinel-managed Redis (issue 18): every sentinel address is a Service's port.
                addresses = [("redis.sentinels", parse_host_port(s)) for s in redis.get("sentinels")]
                self.check("config-endpoints", bool(redis.get("master_name")),
                           f"ConfigMap {name_of(cm)} cluster.yaml has sentinels but no master_name")
            elif redis.get("cluster_nodes"):
                addresses = []
                self.check_cluster_nodes(cm, redis.get("cluster_nodes"))
            else:
                addresses = [("redis", (redis.get("host"), redis.get("port")))]
            for section in ("router", "concurrency_limiter", "agent_presence", "notification"):
                endpoints = (config.get(section) or {}).get("endpoint")
                # One endpoint or a list of them (issue 18): each must name a Service and port.
                for endpoint in endpoints if isinstance(endpoints, list) else [endpoints]:
                    address = parse_tcp_endpoint(endpoint)
                    addresses.append((f"{section}.endpoint", address))
                    if section in HEADLESS_ENDPOINTS and address is not None:
                        service = self.find("Service", address[0])
                        self.check("headless-endpoints",
                                   service is not None and service.get("spec", {}).get("clusterIP") == "None",
                                   f"cluster.yaml {section}.endpoint {endpoint} is not a headless Service: an "
                                   "ingress would connect to one replica only")
            # The ingress's recording control (issue 19): every replica behind a headless Service.
            control = (config.get("ingress") or {}).get("control_endpoint")
            for endpoint in (control if isinstance(control, list) else [control] if control else []):
                address = parse_tcp_endpoint(endpoint)
                addresses.append(("ingress.control_endpoint", address))
                service = self.find("Service", address[0]) if address else None
                self.check("headless-endpoints",
                           service is not None and service.get("spec", {}).get("clusterIP") == "None",
                           f"cluster.yaml ingress.control_endpoint {endpoint} is not a headless Service: a "
                           "recording command would reach one ingress replica only")
            zmq = config.get("zmq") or {}
            self.check("zmq-curve", str(zmq.get("curve", "on")).lower() not in ("off", "false"),
                       f"ConfigMap {name_of(cm)} cluster.yaml turns zmq.curve off: any pod could set "
                       "presence or release slots")
            self.check("zmq-curve", zmq.get("keys_dir") == ZMQ_KEYS_DIR,
                       f"ConfigMap {name_of(cm)} cluster.yaml zmq.keys_dir is {zmq.get('keys_dir')!r}, "
                       f"not the keys' mount {ZMQ_KEYS_DIR}")
            for key, address in addresses:
                if not self.check("config-endpoints", address is not None and None not in address,
                                  f"ConfigMap {name_of(cm)} cluster.yaml has no usable {key}"):
                    continue
                host, port = address
                service = self.find("Service", host)
                self.check("config-endpoints", service is not None and (port, "TCP") in service_ports(service),
                           f"cluster.yaml {key} is {host}:{port}, but no Service {host} has port {port}/TCP")
            routing = (config.get("router") or {}).get("routing_file")
            if routing is not None:
                self.check("config-endpoints", routing in (cm.get("data") or {}),
                           f"cluster.yaml router.routing_file {routing!r} is not a key of ConfigMap {name_of(cm)}")
                try:
                    yaml.safe_load((cm.get("data") or {}).get(routing, ""))
                    ok = True
                except yaml.YAMLError:
                    ok = False
                self.check("config-endpoints", ok, f"ConfigMap {name_of(cm)} {routing} is not YAML")

    def check_cluster_nodes(self, cm, nodes):
        """Redis Cluster (issue 18 item 3): each seed is a pod of the Redis StatefulSet by its stable
        name (<pod>.<governing headless Service>), on a port that Service has; the StatefulSet runs
        every pod named, with --cluster-enabled yes (here or in the start script it runs), and the
        cluster bus (port + 10000) is open between the Redis pods."""
        redis = self.find("StatefulSet", "callmesh-redis")
        if not self.check("redis-cluster", redis is not None,
                          f"ConfigMap {name_of(cm)} cluster.yaml has cluster_nodes but no StatefulSet callmesh-redis"):
            return
        governing = redis.get("spec", {}).get("serviceName")
        replicas = int(redis.get("spec", {}).get("replicas") or 1)
        headless = self.find("Service", governing) if governing else None
        for node in nodes:
            address = parse_host_port(str(node))
            if not self.check("config-endpoints", address is not None and None not in address,
                              f"cluster.yaml redis.cluster_nodes entry {node!r} is not host:port"):
                continue
            host, port = address
            pod, _, service = host.partition(".")
            ordinal = pod.rsplit("-", 1)[-1]
            self.check("config-endpoints",
                       service.split(".")[0] == governing and pod.startswith("callmesh-redis-")
                       and ordinal.isdigit() and int(ordinal) < replicas,
                       f"cluster.yaml redis.cluster_nodes {node} is not a pod of StatefulSet callmesh-redis "
                       f"({replicas} pods behind {governing})")
            self.check("config-endpoints",
                       headless is not None and headless.get("spec", {}).get("clusterIP") == "None"
                       and (port, "TCP") in service_ports(headless),
                       f"cluster.yaml redis.cluster_nodes {node}: no headless Service {governing} with "
                       f"port {port}/TCP")
        self.check("redis-cluster", replicas >= 6,
                   f"StatefulSet callmesh-redis has {replicas} pods: a cluster of three masters with a "
                   "replica each needs 6")
        containers = pod_spec(redis).get("containers") or []
        argv = [str(a) for c in containers for a in list(c.get("command") or []) + list(c.get("args") or [])]
        # The flag is on the command line, or in a start script (a ConfigMap key) the command runs.
        started = " ".join(argv)
        scripts = [text for m in self.of_kind("ConfigMap") for key, text in (m.get("data") or {}).items()
                   if key in started]
        enabled = (any(argv[i] == "--cluster-enabled" and argv[i + 1] == "yes" for i in range(len(argv) - 1))
                   or any("--cluster-enabled yes" in text for text in scripts))
        self.check("redis-cluster", enabled,
                   "StatefulSet callmesh-redis does not start redis-server with --cluster-enabled yes")
        labels = pod_labels(redis)
        bus = REDIS_PORT + 10000
        opened = False
        for p in self.of_kind("NetworkPolicy"):
            if not selector_matches(p.get("spec", {}).get("podSelector"), labels):
                continue
            for rule in p.get("spec", {}).get("ingress") or []:
                if not rule_opens_port(rule, bus):
                    continue
                peers = rule.get("from") or [{}]
                # Only Redis pods may speak the cluster bus: a node accepts gossip from any peer.
                only_redis = all(peer.get("podSelector") not in (None, {}) and "namespaceSelector" not in peer
                                 and selector_matches(peer.get("podSelector"), labels) for peer in peers)
                self.check("redis-cluster", only_redis,
                           f"NetworkPolicy {name_of(p)} opens the cluster bus {bus} to {peers}, not only to the "
                           "Redis pods")
                opened = opened or only_redis
        self.check("redis-cluster", opened,
                   f"no NetworkPolicy opens the cluster bus port {bus} between the Redis pods: the nodes "
                   "could not gossip or fail over")

    def check_notification_console(self):
        """The agent console ships: every cluster.yaml the notification pods read serves it from
        the folder where the image carries it (docker/Dockerfile copies the Vite build there)."""
        if self.find("Deployment", "callmesh-notification") is None:
            return  # a partial tree (the checker's own test data): nothing serves the console
        for cm in self.of_kind("ConfigMap"):
            text = (cm.get("data") or {}).get("cluster.yaml")
            if text is None:
                continue
            notification = (yaml.safe_load(text) or {}).get("notification") or {}
            got = notification.get("console_dir")
            self.check("notification-console", got == CONSOLE_DIR_IN_IMAGE,
                       f"ConfigMap {name_of(cm)} cluster.yaml notification.console_dir is {got!r}, "
                       f"not {CONSOLE_DIR_IN_IMAGE!r} where the image carries the console")
        try:
            with open(DOCKERFILE) as f:
                dockerfile = f.read()
        except OSError as e:
            self.check("notification-console", False, f"cannot read {DOCKERFILE}: {e}")
            return
        self.check("notification-console", f"/out/console {CONSOLE_DIR_IN_IMAGE}" in dockerfile,
                   f"docker/Dockerfile does not copy the built console to {CONSOLE_DIR_IN_IMAGE}")
        for problem in image_input_problems(dockerfile):
            self.check("image-inputs", False, problem)

    def check_notification_proxies(self):
        """The API sits behind the HTTP ingress controller: every cluster.yaml the notification
        pods read names the proxies whose X-Forwarded-For it believes (else every agent shares
        the proxy's failed-auth budget), as networks that are not everyone (else any client
        picks its own key)."""
        if self.find("Deployment", "callmesh-notification") is None:
            return  # a partial tree (the checker's own test data)
        for cm in self.of_kind("ConfigMap"):
            text = (cm.get("data") or {}).get("cluster.yaml")
            if text is None:
                continue
            notification = (yaml.safe_load(text) or {}).get("notification") or {}
            proxies = notification.get("trusted_proxies") or []
            where = f"ConfigMap {name_of(cm)} cluster.yaml notification.trusted_proxies"
            self.check("notification-trusted-proxies", isinstance(proxies, list) and bool(proxies),
                       f"{where} is empty: behind the ingress controller every client would share "
                       "one failed-auth budget")
            for entry in proxies if isinstance(proxies, list) else []:
                try:
                    network = ipaddress.ip_network(str(entry), strict=False)
                except ValueError:
                    self.check("notification-trusted-proxies", False, f"{where}: {entry!r} is not a CIDR")
                    continue
                self.check("notification-trusted-proxies", network.prefixlen > 0,
                           f"{where}: {entry!r} trusts every address to name its client")

    def check_notification_api(self):
        """notification's HTTP API: on its Service and container as "api" 8080, bound beyond
        loopback in cluster.yaml, admitted by a NetworkPolicy, and no tokens in the ConfigMap."""
        workload = self.find("Deployment", "callmesh-notification")
        service = self.find("Service", "callmesh-notification")
        if workload is None or service is None:
            return  # reported by contract-services
        ports = {p.get("name"): p for p in service.get("spec", {}).get("ports") or []}
        self.check("notification-api", (ports.get("api") or {}).get("port") == NOTIFICATION_API_PORT,
                   f"Service callmesh-notification has no port api {NOTIFICATION_API_PORT}")
        cports = [p for c in pod_spec(workload).get("containers") or [] for p in c.get("ports") or []]
        self.check("notification-api", any(p.get("containerPort") == NOTIFICATION_API_PORT for p in cports),
                   f"callmesh-notification declares no containerPort {NOTIFICATION_API_PORT}")
        for cm in self.of_kind("ConfigMap"):
            text = (cm.get("data") or {}).get("cluster.yaml")
            if text is None:
                continue
            notification = (yaml.safe_load(text) or {}).get("notification") or {}
            api = str(notification.get("api", "127.0.0.1:8080"))
            self.check("notification-api", api == f"0.0.0.0:{NOTIFICATION_API_PORT}",
                       f"cluster.yaml notification.api is {api!r}: pods must bind 0.0.0.0:{NOTIFICATION_API_PORT}")
            self.check("secrets", not notification.get("tokens"),
                       f"ConfigMap {name_of(cm)} holds API tokens: they belong in a Secret")
        labels = pod_labels(workload)
        admitted = any(selector_matches(p.get("spec", {}).get("podSelector"), labels)
                       and any(rule_opens_port(r, NOTIFICATION_API_PORT) and r.get("from")
                               for r in p.get("spec", {}).get("ingress") or [])
                       for p in self.of_kind("NetworkPolicy"))
        self.check("notification-api", admitted, f"no NetworkPolicy admits port {NOTIFICATION_API_PORT} of notification")
        secrets = [v for v in pod_spec(workload).get("volumes") or [] if "secret" in v]
        self.check("secrets", bool(secrets), "callmesh-notification mounts no Secret for its API tokens")
