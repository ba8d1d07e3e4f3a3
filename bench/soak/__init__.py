"""The fault soak: a fast day of a Meetings app on a deployment-shaped stack, with faults injected.

`python -m bench.soak [--short] [--seed N]` (`make soak`, `make soak-short`) starts a private Redis, a
throwaway PostgreSQL cluster, 2 receivers, 3 workers, 2 beats, the fake Wix API (app mode, many sites,
latency and random faults), an SMTP sink and an ops-webhook sink, all on loopback; plays the day while
killing workers and a receiver and stopping Redis and PostgreSQL; then checks that nothing acknowledged
was lost and no side effect was doubled, prints one table and exits 1 on any violation.

Modules: `config` (the two days), `stack` (the processes), `sinks` (fake Wix, SMTP, ops hook),
`day` (the plan and its driver), `delivery` (Wix's side of webhooks, with retries), `chaos` (the faults),
`checks` (the invariants), `report` (table and results file), `run` (all of it in order).
"""
