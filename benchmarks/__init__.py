"""The project's benchmarks and experiment drivers. Run them from the repository root as modules, `python -m benchmarks.NAME --help`;
they write records (JSON with seeds, machine, command and commit) under `benchmarks/results/<experiment>/`, which `experiments/` reads.
`benchmarks.records` is their shared helper (machine, commit, statistics, records files, arguments)."""
