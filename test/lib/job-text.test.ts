// Text a job wrote, on its way to a terminal (scripts/lib/job-text.ts): control characters
// shown as escapes, tokens masked, tabs and printable text kept.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { jobTextFilter, visibleControls } from '../../scripts/lib/job-text.ts';
import { progressText } from '../../scripts/lib/jobs/progress.ts';
import { SecretMask } from '../../scripts/lib/secret-mask.ts';

test('C0 (but tab), DEL and C1 controls are shown as \\xNN; the rest is kept', () => {
  assert.is(
    visibleControls('a\u001b[31mb\u0007c\td\u007fe\u009bf\r\nü'),
    'a\\x1b[31mb\\x07c\td\\x7fe\\x9bf\\x0d\\x0aü',
  );
});

test('a token is masked before controls are shown, so an escape around it does not hide it', () => {
  const filter = jobTextFilter(new SecretMask(['tok-secret-1']));
  assert.is(filter('\u001b[8mtok-secret-1\u001b[0m'), '\\x1b[8m***\\x1b[0m');
});

test("a progress line's values reach the live view without raw escapes", () => {
  const text = progressText({ 'name\u001b[2J': '\u001b]0;pwned\u0007' });
  assert.not.match(text, /[\u001b\u0007]/);
  assert.match(text, /name\\x1b\[2J \\x1b\]0;pwned\\x07/);
});

test.run();
