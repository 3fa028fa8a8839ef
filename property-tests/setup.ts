import fc from 'fast-check'

// Property runs are reproducible: a fixed seed unless FC_SEED is given.
fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 0x5eed), numRuns: Number(process.env.FC_RUNS ?? 200) })
