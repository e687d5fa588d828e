import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// Runs from dist/test/; the sources sit two levels up.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Rule {
  id: string;
  provenBy: string[];
}

function rulesOfSpec(): Rule[] {
  const text = readFileSync(path.join(root, 'docs', 'SPEC.md'), 'utf8');
  return text
    .split('\n')
    .map((line) => /^\| ([A-Z]+-\d+) \|.*\| ([^|]+) \|$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ id: match[1], provenBy: match[2].split(',').map((entry) => entry.trim()) }));
}

function testFiles(entry: string): string[] {
  const full = path.join(root, entry);
  if (!statSync(full, { throwIfNoEntry: false })) return [];
  if (statSync(full).isFile()) return [full];
  return readdirSync(full, { recursive: true })
    .map((name) => path.join(full, String(name)))
    .filter((file) => file.endsWith('.ts'));
}

/** Test names that cite the rule: `it('LIFE-8: ...')` or `'LIFE-8/LIFE-9: ...'`. */
function cites(file: string, id: string): boolean {
  return new RegExp(`['"\`][^'"\`]*\\b${id}\\b[^'"\`]*['"\`]`).test(readFileSync(file, 'utf8'));
}

describe('docs/SPEC.md', () => {
  const rules = rulesOfSpec();

  it('lists rules with unique IDs', () => {
    assert.ok(rules.length >= 40, `found ${rules.length} rules`);
    assert.equal(new Set(rules.map((rule) => rule.id)).size, rules.length);
  });

  it('every rule is cited by a test in the files its row names (or says it has none)', () => {
    for (const rule of rules) {
      if (rule.provenBy.some((entry) => /no test/i.test(entry))) continue;
      const files = rule.provenBy.flatMap(testFiles);
      assert.ok(files.length > 0, `${rule.id}: none of ${rule.provenBy.join(', ')} exists`);
      assert.ok(files.some((file) => cites(file, rule.id)), `${rule.id}: no test in ${rule.provenBy.join(', ')} cites it`);
    }
  });
});
