#!/usr/bin/env python3
"""Writes tools/monitoring/grafana/callmesh.json, the callmesh Grafana dashboard.

The dashboard is data: edit the PANELS table below and re-run this script (or pass --check to
verify the committed JSON is what this script produces; ctest monitoring_static does both that
and the checks of tests/monitoring/check_monitoring.py). Import the JSON into Grafana 9 or later
(Dashboards > Import) and pick the Prometheus data source that scrapes callmesh with
tools/monitoring/prometheus.yml (job="callmesh-<service>").
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "callmesh.json")

RATE = "[$__rate_interval]"


def q(expr, legend):
    return {"expr": expr, "legend": legend}


def p99(metric, by="le", quantile=0.99):
    return f"histogram_quantile({quantile}, sum by ({by}) (rate({metric}_bucket{RATE})))"


# (row title, [ (panel title, unit, [queries], description) ])
PANELS = [
    ("Calls", [
        ("Calls offered / answered per second", "reqps", [
            q(f"sum(rate(callmesh_ingress_calls_offered_total{RATE}))", "offered"),
            q(f"sum(rate(callmesh_ingress_calls_answered_total{RATE}))", "answered"),
            q(f"sum(rate(callmesh_ingress_cap_rejections_total{RATE}))", "refused at cap (486)"),
        ], "New INVITEs accepted for routing, calls answered by a target, calls refused at the cap."),
        ("Active calls per ingress", "short", [
            q("sum by (instance) (callmesh_ingress_active_calls)", "{{instance}}"),
        ], "Calls being set up or connected, by ingress replica (dialogs are pinned to it)."),
        ("Calls refused by the ingress, by status", "reqps", [
            q(f"sum by (status) (rate(callmesh_ingress_calls_rejected_total{RATE}))", "{{status}}"),
        ], "Final errors the ingress answered itself: 486 cap, 503 fail closed, 404 unknown number, ..."),
        ("SIP requests by method", "reqps", [
            q(f"sum by (method) (rate(callmesh_ingress_sip_requests_total{RATE}))", "{{method}}"),
        ], ""),
        ("Call set-up (INVITE to 200 OK) and admission (INVITE to first branch)", "s", [
            q(p99("callmesh_ingress_admission_duration_seconds", quantile=0.95), "admission p95"),
            q(p99("callmesh_ingress_admission_duration_seconds"), "admission p99"),
            q(p99("callmesh_ingress_call_setup_duration_seconds", quantile=0.5), "set-up p50"),
            q(p99("callmesh_ingress_call_setup_duration_seconds", quantile=0.95), "set-up p95"),
        ], "Admission is what the cluster controls (alert CallmeshSlowCallSetup at p95 > 250 ms); "
           "set-up includes people picking up."),
        ("Source ACL and rate limit", "reqps", [
            q(f"sum by (reason) (rate(callmesh_ingress_blocked_requests_total{RATE}))", "{{reason}}"),
            q(f"sum(rate(callmesh_ingress_dropped_total{RATE}))", "dropped (unknown dialog, stray)"),
        ], ""),
    ]),
    ("Cap per number", [
        ("Calls in use vs cap, by number", "percentunit", [
            q("max by (number) (callmesh_concurrency_limiter_in_use_calls{number=~\"$number\"}) "
              "/ on (number) max by (number) (callmesh_concurrency_limiter_cap_calls{number=~\"$number\"})",
              "{{number}}"),
        ], "Only configured numbers have their own series; every other number is \"other\" "
           "(against the default cap). Alert CallmeshCapNearlyFull at 90%."),
        ("Calls in use, by number", "short", [
            q("max by (number) (callmesh_concurrency_limiter_in_use_calls{number=~\"$number\"})", "{{number}}"),
            q("max by (number) (callmesh_concurrency_limiter_cap_calls{number=~\"$number\"})", "cap {{number}}"),
        ], ""),
        ("Cap rejections per number", "reqps", [
            q(f"sum by (number) (rate(callmesh_concurrency_limiter_rejected_total{{number=~\"$number\"}}{RATE}))",
              "{{number}}"),
        ], "Acquires refused because the number was at its cap (the caller got 486 Busy Here)."),
        ("Slots acquired, released, renewed", "ops", [
            q(f"sum(rate(callmesh_concurrency_limiter_acquired_total{RATE}))", "acquired"),
            q(f"sum(rate(callmesh_concurrency_limiter_released_total{RATE}))", "released"),
            q(f"sum(rate(callmesh_concurrency_limiter_release_noop_total{RATE}))", "release (none held)"),
            q(f"sum(rate(callmesh_concurrency_limiter_renewed_total{RATE}))", "renewed"),
            q(f"sum(rate(callmesh_concurrency_limiter_lease_lost_total{RATE}))", "lease lost"),
        ], ""),
        ("Slots held per ingress", "short", [
            q("sum by (instance) (callmesh_ingress_held_slots)", "{{instance}}"),
        ], ""),
    ]),
    ("Routing and ring outcomes", [
        ("Calls routed by rule", "reqps", [
            q(f"sum by (rule, source) (rate(callmesh_ingress_route_decisions_total{RATE}))", "{{rule}} {{source}}"),
        ], "source router: decided for the call; reused: the ingress kept the decision for the number "
           "(it depends on the number alone) under the router's current config"),
        ("Router decisions by rule", "reqps", [
            q(f"sum by (rule, outcome) (rate(callmesh_router_decisions_total{RATE}))", "{{rule}} {{outcome}}"),
        ], ""),
        ("Router decision time", "s", [
            q(p99("callmesh_router_decision_duration_seconds", quantile=0.5), "p50"),
            q(p99("callmesh_router_decision_duration_seconds"), "p99"),
        ], ""),
        ("Ring outcomes: how calls ended", "reqps", [
            q(f"sum by (reason) (rate(callmesh_ingress_calls_ended_total{RATE}))", "{{reason}}"),
        ], "caller/callee hang-up (answered), no_answer, busy, caller_cancel, rejected, failed, ..."),
        ("Branches (legs) started", "reqps", [
            q(f"sum(rate(callmesh_ingress_branches_started_total{RATE}))", "branches"),
        ], ""),
        ("Routing config", "short", [
            q("max by (instance) (callmesh_router_tracking_numbers)", "tracking numbers {{instance}}"),
            q("sum by (result) (increase(callmesh_router_config_reloads_total[1h]))", "reloads {{result}} (1h)"),
        ], ""),
    ]),
    ("Follow-up and presence", [
        ("Follow-up records created", "ops", [
            q(f"sum(rate(callmesh_notification_missed_calls_total{RATE}))", "missed calls"),
            q(f"sum(rate(callmesh_notification_answered_records_total{RATE}))", "answered (unknown caller)"),
            q(f"sum(rate(callmesh_notification_texts_total{RATE}))", "texts"),
            q(f"sum(rate(callmesh_notification_known_callers_total{RATE}))", "known callers (none)"),
        ], ""),
        ("Claims by outcome", "ops", [
            q(f"sum by (outcome) (rate(callmesh_notification_claims_total{RATE}))", "{{outcome}}"),
        ], "won: first claim; held: someone else was first (409); repeat: the holder again."),
        ("Time to claim", "s", [
            q(p99("callmesh_notification_time_to_claim_seconds", quantile=0.5), "p50"),
            q(p99("callmesh_notification_time_to_claim_seconds", quantile=0.9), "p90"),
        ], "From the call's end to the first claim of its record (someone called back)."),
        ("Call events applied by agent-presence", "ops", [
            q(f"sum by (kind) (rate(callmesh_agent_presence_call_events_total{RATE}))", "{{kind}}"),
        ], ""),
        ("HTTP API", "reqps", [
            q(f"sum by (code) (rate(callmesh_notification_api_requests_total{RATE}))", "{{code}}"),
            q("sum(callmesh_notification_api_streams)", "open SSE streams"),
        ], ""),
    ]),
    ("Redis and ZeroMQ", [
        ("Redis p99 by service", "s", [
            q(p99("callmesh_concurrency_limiter_redis_duration_seconds", by="job, le"), "{{job}}"),
            q(p99("callmesh_agent_presence_redis_duration_seconds", by="job, le"), "{{job}}"),
            q(p99("callmesh_notification_redis_duration_seconds", by="job, le"), "{{job}}"),
            q(p99("callmesh_router_redis_duration_seconds", by="job, le"), "{{job}}"),
        ], "Alert CallmeshRedisSlow at p99 > 25 ms."),
        ("Redis errors by service", "ops", [
            q(f"sum by (job) (rate(callmesh_concurrency_limiter_redis_errors_total{RATE}))", "{{job}}"),
            q(f"sum by (job) (rate(callmesh_agent_presence_redis_errors_total{RATE}))", "{{job}}"),
            q(f"sum by (job) (rate(callmesh_notification_redis_errors_total{RATE}))", "{{job}}"),
            q(f"sum by (job, directory, reason) (rate(callmesh_router_directory_errors_total{RATE}))",
              "{{job}} {{directory}} {{reason}}"),
        ], ""),
        ("Ingress to router/limiter (ZeroMQ) p99", "s", [
            q(p99("callmesh_ingress_peer_request_duration_seconds", by="peer, le"), "{{peer}} p99"),
        ], "Request sent to reply received, retries included."),
        ("ZeroMQ request errors and bad frames", "ops", [
            q(f"sum by (peer) (rate(callmesh_ingress_peer_errors_total{RATE}))", "ingress -> {{peer}} failed"),
            q(f"sum(rate(callmesh_router_decode_errors_total{RATE}))", "router decode errors"),
            q(f"sum(rate(callmesh_concurrency_limiter_decode_errors_total{RATE}))", "limiter decode errors"),
            q(f"sum(rate(callmesh_agent_presence_decode_errors_total{RATE}))", "presence decode errors"),
            q(f"sum(rate(callmesh_notification_decode_errors_total{RATE}))", "notification decode errors"),
        ], ""),
        ("Call events awaiting acknowledgement", "short", [
            q("sum by (instance) (callmesh_ingress_events_pending)", "pending {{instance}}"),
            q("sum by (instance) (increase(callmesh_ingress_events_dropped_total[5m]))", "dropped (5m) {{instance}}"),
        ], "At-least-once delivery to agent-presence and notification; bounded at 200,000 per receiver."),
    ]),
    ("Processes", [
        ("Targets up", "short", [
            q("sum by (job) (up{job=~\"callmesh-.+\"})", "{{job}}"),
        ], "Replicas answering scrapes, per service."),
        ("CPU (cores)", "short", [
            q(f"sum by (job) (rate(process_cpu_seconds_total{{job=~\"callmesh-.+\"}}{RATE}))", "{{job}}"),
        ], ""),
        ("Resident memory", "bytes", [
            q("max by (job) (process_resident_memory_bytes{job=~\"callmesh-.+\"})", "{{job}} (max replica)"),
        ], ""),
        ("Open file descriptors (of the limit)", "percentunit", [
            q("max by (job) (process_open_fds{job=~\"callmesh-.+\"} / process_max_fds{job=~\"callmesh-.+\"})",
              "{{job}}"),
        ], ""),
    ]),
]


def build():
    panels = []
    pid = 1
    y = 0
    for row_title, row_panels in PANELS:
        panels.append({"type": "row", "id": pid, "title": row_title, "collapsed": False,
                       "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []})
        pid += 1
        y += 1
        for i, (title, unit, queries, description) in enumerate(row_panels):
            panels.append({
                "type": "timeseries",
                "id": pid,
                "title": title,
                "description": description,
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "gridPos": {"h": 8, "w": 8, "x": (i % 3) * 8, "y": y + (i // 3) * 8},
                "fieldConfig": {"defaults": {"unit": unit, "custom": {"fillOpacity": 10}},
                                "overrides": []},
                "options": {"legend": {"displayMode": "list", "placement": "bottom"},
                            "tooltip": {"mode": "multi"}},
                "targets": [{"refId": chr(ord("A") + j), "expr": t["expr"], "legendFormat": t["legend"],
                             "datasource": {"type": "prometheus", "uid": "${datasource}"}}
                            for j, t in enumerate(queries)],
            })
            pid += 1
        y += ((len(row_panels) + 2) // 3) * 8
    return {
        "title": "callmesh",
        "uid": "callmesh-overview",
        "description": "callmesh call-control cluster: calls, caps per number, routing, ring outcomes, "
                       "follow-up, Redis, ZeroMQ and processes. Generated by "
                       "tools/monitoring/grafana/generate_dashboard.py.",
        "tags": ["callmesh", "sip"],
        "timezone": "browser",
        "schemaVersion": 37,
        "version": 1,
        "editable": True,
        "refresh": "30s",
        "time": {"from": "now-3h", "to": "now"},
        "annotations": {"list": []},
        "links": [],
        "templating": {"list": [
            {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus",
             "current": {}, "hide": 0},
            {"name": "number", "type": "query", "label": "Number",
             "datasource": {"type": "prometheus", "uid": "${datasource}"},
             "query": {"query": "label_values(callmesh_concurrency_limiter_cap_calls, number)",
                       "refId": "number"},
             "definition": "label_values(callmesh_concurrency_limiter_cap_calls, number)",
             "includeAll": True, "allValue": ".*", "multi": True, "refresh": 2, "sort": 1,
             "current": {"selected": True, "text": ["All"], "value": ["$__all"]}, "hide": 0},
        ]},
        "panels": panels,
    }


def render():
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        with open(OUT) as f:
            if f.read() != text:
                sys.exit(f"{OUT} is out of date: run {os.path.relpath(__file__)}")
        print(f"{OUT} is up to date")
    else:
        with open(OUT, "w") as f:
            f.write(text)
        print(f"wrote {OUT}")
