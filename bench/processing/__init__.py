"""The processing benchmark (issue 11): how fast workers drain, what a refund flow costs, Wix's limit held.

`python -m bench.processing [--part NAME] [--quick]` (`make bench-processing`, ~5 min; loopback only)
runs each part on a fresh PostgreSQL database and Redis db of its own (or the embedded SQLite
defaults) against a real receiver, real `wix-meetings worker`s, the fake Wix API in its own process
(100 ms per call) and an aiosmtpd sink, and writes `bench/results/processing-<UTC time>.md`: the
figures beside the issue's targets, and PASS/FAIL per check (nothing lost, exactly one refund and
three emails per booking).

Modules: `config` (sizes, targets), `fake` (the seeded fake Wix process), `stores` (fresh database,
leased Redis db), `stack` (the processes, on the soak's Stack), `webhooks` (signed and posted),
`store_reads` / `procs` (what the store and /proc say), `checks`, `parts`, `report`.
`profile_refund` profiles refund flows in-process (issue 11, item 2).
"""
