// Writes docs/errors.md from the error catalog in src/core/errors.ts.
// Run after adding a code: `node --import tsx scripts/gen-error-docs.ts`.
import { writeFileSync } from 'node:fs';
import { ERROR_CATALOG } from '../src/core/errors.js';

const header = `# Error codes

Every failure that Aisle raises on purpose is an \`AisleError\` (exported from \`aisle\` and \`aisle/core\`)
with one of these codes. The companion returns the same code in its JSON error body
\`{ "error": { "code", "message", "details" } }\` with the HTTP status below. The catalog lives in
\`src/core/errors.ts\`; \`scripts/gen-error-docs.ts\` writes this page, and a unit test keeps the two in step.

| code | HTTP status | kind | meaning |
|---|---|---|---|
`;

const rows = Object.entries(ERROR_CATALOG).map(([code, entry]) => `| \`${code}\` | ${entry.status} | ${entry.kind} | ${entry.summary} |`);
writeFileSync(new URL('../docs/errors.md', import.meta.url), `${header}${rows.join('\n')}\n`);
