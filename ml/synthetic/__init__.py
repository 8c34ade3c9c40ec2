"""Synthetic inputs for scale tests and benchmarks: customers, invoice lines and events, all seeded."""
