"""Checks of each workload: containers, probes, budgets, the Services selecting it, its config and
ZeroMQ key mounts, its scrape annotations."""

from manifest_common import *  # noqa: F401,F403 (constants and helpers of every check)


class WorkloadChecks:
    """Mixed into TreeChecker (check_manifests.py): uses its of_kind, find, check and tree."""

    def admin_port_of(self, workload):
        for svc, (_, admin) in SERVICES.items():
            if name_of(workload) == f"callmesh-{svc}":
                return admin
        return None

    def check_containers(self, workload):
        pod = pod_spec(workload)
        containers = pod.get("containers") or []
        self.check("containers", bool(containers), f"{ref(workload)} has no containers")
        admin = self.admin_port_of(workload)
        for c in containers:
            where = f"{ref(workload)} container {c.get('name')}"
            # A sidecar that is not a callmesh service (the ingress's rtpengine) probes its own port.
            own_admin = None if c.get("name") in SIDECARS else admin
            for check_id, kind, path in (("readiness-probe", "readinessProbe", "/readyz"),
                                         ("liveness-probe", "livenessProbe", "/healthz")):
                problem = probe_problem(c, kind, path, own_admin)
                self.check(check_id, problem is None, f"{where} {problem}")
            problem = resources_problem(c)
            self.check("resources", problem is None, f"{where} {problem}")
            problem = image_problem(c.get("image"))
            self.check("image-tag", problem is None, f"{where} {problem}")
            problem = security_problem(pod, c)
            self.check("security-context", problem is None, f"{where}: {problem}")
        for c in pod.get("initContainers") or []:
            where = f"{ref(workload)} init container {c.get('name')}"
            problem = resources_problem(c)
            self.check("resources", problem is None, f"{where} {problem}")
            problem = image_problem(c.get("image"))
            self.check("image-tag", problem is None, f"{where} {problem}")
            problem = security_problem(pod, c)
            self.check("security-context", problem is None, f"{where}: {problem}")
        grace = pod.get("terminationGracePeriodSeconds")
        self.check("grace-period", isinstance(grace, int) and grace > 0,
                   f"{ref(workload)} sets no terminationGracePeriodSeconds")

    def check_disruption_budget(self, workload):
        labels = pod_labels(workload)
        budgets = [p for p in self.of_kind("PodDisruptionBudget")
                   if namespace_of(p) == namespace_of(workload)
                   and selector_matches(p.get("spec", {}).get("selector"), labels)]
        self.check("pdb", len(budgets) >= 1, f"no PodDisruptionBudget selects {ref(workload)}")
        self.check("pdb", len(budgets) <= 1,
                   f"{ref(workload)} is selected by several PodDisruptionBudgets "
                   f"({', '.join(name_of(b) for b in budgets)}); evictions would fail")

    def check_service_selects(self, workload):
        labels = pod_labels(workload)
        services = [s for s in self.of_kind("Service")
                    if namespace_of(s) == namespace_of(workload) and service_selects(s, labels)]
        self.check("service", bool(services), f"no Service selects the pods of {ref(workload)}")
        if workload.get("kind") == "StatefulSet":
            governing = self.find("Service", workload.get("spec", {}).get("serviceName"))
            self.check("service", governing is not None
                       and governing.get("spec", {}).get("clusterIP") == "None",
                       f"{ref(workload)} serviceName does not name a headless Service")

    def check_config_mount(self, workload):
        pod = pod_spec(workload)
        volumes = {v.get("name"): v for v in pod.get("volumes") or []}
        for c in pod.get("containers") or []:
            if c.get("name") in SIDECARS:
                continue  # not a callmesh service: reads no cluster.yaml (check_media_sidecar)
            where = f"{ref(workload)} container {c.get('name')}"
            mounts = [m for m in c.get("volumeMounts") or [] if m.get("mountPath") == CONFIG_DIR]
            if not self.check("config-mount", len(mounts) == 1, f"{where} mounts nothing at {CONFIG_DIR}"):
                continue
            mount = mounts[0]
            self.check("config-mount", "subPath" not in mount and "subPathExpr" not in mount,
                       f"{where} mounts {CONFIG_DIR} with a subPath, which never sees ConfigMap updates")
            volume = volumes.get(mount.get("name")) or {}
            cm_name = (volume.get("configMap") or {}).get("name")
            if not self.check("config-mount", cm_name is not None,
                              f"{where}: volume {mount.get('name')!r} at {CONFIG_DIR} is not a ConfigMap"):
                continue
            cm = self.find("ConfigMap", cm_name)
            if not self.check("config-mount", cm is not None,
                              f"{where} mounts ConfigMap {cm_name!r}, which the tree does not define"):
                continue
            missing = [k for k in CONFIG_KEYS if k not in (cm.get("data") or {})]
            self.check("config-mount", not missing, f"ConfigMap {cm_name} lacks {', '.join(missing)}")
            argv = list(c.get("command") or []) + list(c.get("args") or [])
            ok = any(argv[i] == "--config" and argv[i + 1] == CONFIG_FILE for i in range(len(argv) - 1))
            if not ok and any(argv[i] == "--config" and argv[i + 1] == MERGED_CONFIG_FILE
                              for i in range(len(argv) - 1)):
                ok = self.merged_config_ok(pod, c, volumes, where)
            self.check("config-mount", ok, f"{where} is not started with --config {CONFIG_FILE} "
                                           f"(or {MERGED_CONFIG_FILE} written by an init container)")

    def merged_config_ok(self, pod, container, volumes, where):
        """--config in MERGED_CONFIG_DIR: an emptyDir there, written by an init container that
        mounts the ConfigMap at CONFIG_DIR (notification: cluster.yaml + tokens from a Secret)."""
        mine = [m for m in container.get("volumeMounts") or [] if m.get("mountPath") == MERGED_CONFIG_DIR]
        if not self.check("config-mount", len(mine) == 1, f"{where} mounts nothing at {MERGED_CONFIG_DIR}"):
            return False
        vol = mine[0].get("name")
        if not self.check("config-mount", "emptyDir" in (volumes.get(vol) or {}),
                          f"{where}: {MERGED_CONFIG_DIR} is not an emptyDir"):
            return False
        writers = [i for i in pod.get("initContainers") or []
                   if any(m.get("name") == vol and not m.get("readOnly") for m in i.get("volumeMounts") or [])
                   and any(m.get("mountPath") == CONFIG_DIR and
                           ((volumes.get(m.get("name")) or {}).get("configMap") or {}).get("name")
                           for m in i.get("volumeMounts") or [])]
        return self.check("config-mount", bool(writers),
                          f"{where}: no init container writes {MERGED_CONFIG_DIR} from the ConfigMap")

    def check_zmq_keys(self, workload):
        """The service's own CURVE keypair (Secret callmesh-zmq-<service>, never another's) and
        cluster.pub are mounted at ZMQ_KEYS_DIR in its main container."""
        svc = name_of(workload)[len("callmesh-"):]
        spec = pod_spec(workload)
        volumes = {v.get("name"): v for v in spec.get("volumes") or []}
        main = (spec.get("containers") or [{}])[0]
        mounts = [m for m in main.get("volumeMounts") or [] if m.get("mountPath") == ZMQ_KEYS_DIR]
        if not self.check("zmq-keys", len(mounts) == 1, f"{ref(workload)} mounts nothing at {ZMQ_KEYS_DIR}"):
            return
        sources = (volumes.get(mounts[0].get("name")) or {}).get("projected", {}).get("sources") or []
        secrets = [s["secret"] for s in sources if "secret" in s]
        self.check("zmq-keys", [s.get("name") for s in secrets] == [f"callmesh-zmq-{svc}"]
                   and not any(s.get("optional") for s in secrets),
                   f"{ref(workload)} must mount exactly its own Secret callmesh-zmq-{svc} (not optional)")
        files = {i.get("path") for s in sources for part in s.values() for i in part.get("items") or []}
        self.check("zmq-keys", {f"{svc}.key", "cluster.pub"} <= files,
                   f"{ref(workload)} {ZMQ_KEYS_DIR} lacks {svc}.key or cluster.pub")

    def check_scrape_annotations(self, workload):
        annotations = workload.get("spec", {}).get("template", {}).get("metadata", {}).get("annotations") or {}
        admin = self.admin_port_of(workload)
        ok = (annotations.get("prometheus.io/scrape") == "true"
              and (admin is None or annotations.get("prometheus.io/port") == str(admin)))
        self.check("prometheus-annotations", ok,
                   f"{ref(workload)} pod template lacks prometheus.io/scrape \"true\" and "
                   f"prometheus.io/port \"{admin}\"")

    # The fixed set of services ----------------------------------------------------------------
