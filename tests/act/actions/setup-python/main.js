// actions/setup-python stand-in, main step: runs `standins.py setup-python main` with the test's Python.
const { spawnSync } = require("node:child_process");
const path = require("node:path");
const done = spawnSync(
  process.env.STANDIN_PYTHON,
  [path.join(process.env.STANDIN_LIB, "standins.py"), "setup-python", "main"],
  { stdio: "inherit" },
);
process.exit(done.status === null ? 1 : done.status);
