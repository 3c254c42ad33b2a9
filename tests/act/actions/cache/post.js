// actions/cache stand-in, post step: runs `standins.py cache post` with the test's Python.
const { spawnSync } = require("node:child_process");
const path = require("node:path");
const done = spawnSync(
  process.env.STANDIN_PYTHON,
  [path.join(process.env.STANDIN_LIB, "standins.py"), "cache", "post"],
  { stdio: "inherit" },
);
process.exit(done.status === null ? 1 : done.status);
