// Builds (or finds) the MinIO binary the tests and benchmarks run, so CI shows that step on its own.
import { ensureMinioBinary } from '../test/support/minio-server.js';

console.log(`minio: ${ensureMinioBinary()}`);
