// transfer_output_remaps is read one way (scripts/lib/submit-language/output-remaps.ts) by submit's
// plan, which records it, and by the local runner, which writes by it: `\;` keeps a `;` in a name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRemaps } from '../../scripts/lib/local/transfer.ts';
import { remapPairs } from '../../scripts/lib/submit-language/output-remaps.ts';

test('pairs split on `;` but not on `\\;`, quotes optional, blanks trimmed; a pair without `=` or a name is left out', () => {
  const value = '"a.txt = x\\;y.txt; metrics.json=results/1/metrics.json ;junk; = nameless"';
  assert.equal(remapPairs(value), [
    ['a.txt', 'x;y.txt'],
    ['metrics.json', 'results/1/metrics.json'],
  ]);
  assert.equal(
    [...parseRemaps(value)],
    [
      ['a.txt', 'x;y.txt'],
      ['metrics.json', 'results/1/metrics.json'],
    ],
  );
  assert.equal(remapPairs(undefined), []);
  assert.equal([...parseRemaps('a = ')], [], 'the runner writes nothing to an empty destination');
});

test.run();
