/**
 * PENDING_METRICS: CONTRACT.md metrics that the dashboards and alert rules already use but that
 * the agents of test/integration/dashboards-real.test.ts do NOT emit. Only
 * `sidestream_restarts_total` is left: the engine has no emitter for it yet (a supervisor that
 * restarts the agent is not built). The test skips the panels and rule selectors that use these
 * metrics, and FAILS as soon as an agent serves one of them, so the set can only shrink: delete a
 * name here when its emitter lands (and make the drill fixture emit it).
 *
 * (It lives in a support module rather than in the test file because biome's noExportsInTest
 * forbids exports from test files.)
 */
export const PENDING_METRICS: ReadonlySet<string> = new Set(['sidestream_restarts_total']);
