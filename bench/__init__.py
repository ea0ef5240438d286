"""Performance tooling: `bench.generate` fills a database with a competition of realistic
size, made through the portal's own services, for the query budgets and the benchmarks."""
