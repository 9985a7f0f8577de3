// The submit file's macro table as condor_submit builds it while reading (config.cpp
// Parse_macros): assignments in order (`+=`, self references, -append lines, -defines), the
// names condor_submit knows without an assignment ($(SUBMIT_FILE), $(OpSys), $(Arch)), and the
// masking of credentials a macro or $ENV() would put into the job (with one warning each).
import { MASK, type SecretMask } from '../secret-mask.ts';
import type { MacroScope } from './submit-macros.ts';
import type { SubmitWarning } from './submit-plan.ts';
import { isCredentialKey, isTokenKey } from './submit-secrets.ts';

export interface Assignment {
  key: string;
  value: string;
  /** `-Attr =`: the attribute is taken out of the job ad. */
  remove: boolean;
  seq: number;
  /** Where it was written, for errors found when it is expanded. */
  source: string;
  line: number | undefined;
}

/** The statement being read (or the assignment being expanded), for warnings raised inside macros. */
export interface ReadingAt {
  file: string;
  line: number | undefined;
}

/**
 * `$(KEY)` / `$(KEY:default)` in a value assigned to KEY means KEY's previous value (config.cpp
 * expand_self_macro): replaced when assigned. A scan, not a regular expression built from the key
 * (a 64 KiB key made one too large to compile).
 */
export function replaceSelfReferences(value: string, key: string, previous: string | undefined): string {
  if (!value.includes('$(')) return value;
  const lower = key.toLowerCase();
  let out = '';
  let i = 0;
  for (;;) {
    const at = value.indexOf('$(', i);
    if (at < 0) return out + value.slice(i);
    let j = at + 2;
    while (value[j] === ' ' || value[j] === '\t') j++;
    const close = value.indexOf(')', j);
    const candidate = close < 0 ? '' : value.slice(j, close);
    const colon = candidate.indexOf(':');
    const name = (colon >= 0 ? candidate.slice(0, colon) : candidate).trimEnd();
    if (close >= 0 && name.length === lower.length && name.toLowerCase() === lower) {
      // The default stands for nothing before as for an empty value (config.cpp evaluate_macro_func).
      const before = previous !== undefined && (previous !== '' || colon < 0) ? previous : undefined;
      out += value.slice(i, at) + (before ?? (colon >= 0 ? candidate.slice(colon + 1) : ''));
      i = close + 1;
    } else {
      out += value.slice(i, at + 2);
      i = at + 2;
    }
  }
}

export class MacroTable {
  readonly table = new Map<string, Assignment>();
  /** The next assignment's sequence number (a later assignment wins among aliases). */
  seq = 0;
  /** The scope statements outside a queue expand in (no queue variables, no $(Process)). */
  readonly staticScope: MacroScope;
  private readonly warnedCredentials = new Set<string>();
  private readonly submitFile: string;
  private readonly secrets: SecretMask;
  private readonly warnings: SubmitWarning[];
  private readonly at: ReadingAt;
  private readonly withheld: ReadonlySet<string>;

  constructor(
    submitFile: string,
    cwd: string,
    env: NodeJS.ProcessEnv,
    secrets: SecretMask,
    warnings: SubmitWarning[],
    at: ReadingAt,
    withheld: ReadonlySet<string> = new Set(),
  ) {
    this.submitFile = submitFile;
    this.withheld = withheld;
    this.secrets = secrets;
    this.warnings = warnings;
    this.at = at;
    this.staticScope = {
      cwd,
      env,
      maskEnv: (name) => this.maskEnv(name),
      unsetEnv: (name) => this.unsetEnv(name),
      lookup: (name) => this.macroValue(name.toLowerCase()),
    };
  }

  assign(key: string, raw: string, source = this.submitFile, line?: number, append = '', remove = false): void {
    const lower = key.toLowerCase();
    const previous = this.table.get(lower)?.value;
    // `X += more` appends to a non-empty value (config.cpp Parse_macros, the '+' operator).
    const value = append && previous ? `${previous}${append}${raw}` : raw;
    const resolved = replaceSelfReferences(value, key, previous);
    if (isTokenKey(key)) this.secrets.add(resolved);
    this.table.set(lower, { key, value: resolved, remove, seq: this.seq++, source, line });
  }

  /** A macro's value unmasked, or what condor_submit knows without an assignment. */
  baseLookup(lower: string): string | undefined {
    const hit = this.table.get(lower);
    if (hit) return hit.value;
    if (lower === 'submit_file') return this.submitFile;
    if (lower === 'opsys') return 'LINUX';
    if (lower === 'arch') return 'X86_64';
    return undefined;
  }

  /** $ENV(REGISTRY_TOKEN) would put a credential into the job ad: the plan holds a mask instead. */
  maskEnv(name: string, written = `$ENV(${name.trim()})`): string | undefined {
    if (!isCredentialKey(name)) return undefined;
    if (!this.warnedCredentials.has(written.toUpperCase())) {
      this.warnedCredentials.add(written.toUpperCase());
      this.warnings.push({
        rule: 'submit/credential-in-job',
        message: `${written} puts a credential into the job: condor_submit writes it into the job ad, which everyone who can run condor_q may read`,
        file: this.at.file,
        line: this.at.line,
        hint: 'do not pass registry tokens to jobs; pixi-condor shows it as ' + MASK,
      });
    }
    return MASK;
  }

  /**
   * $ENV(NAME) of a variable withheld as a secret (secret-mask.ts submitEnvironment): condor_submit
   * runs without it, so it reads as unset (its default, else UNDEFINED), here as on the pool; said
   * once per name.
   */
  unsetEnv(name: string): void {
    if (!this.withheld.has(name) || this.warnedCredentials.has(`unset:${name}`)) return;
    this.warnedCredentials.add(`unset:${name}`);
    this.warnings.push({
      rule: 'submit/secret-withheld',
      message: `$ENV(${name}) reads as unset (its default where it has one, else the word UNDEFINED): ${name} is a secret (a token, a .env key, or holding one's value), and condor_submit runs without secrets so that none reaches the job ad`,
      file: this.at.file,
      line: this.at.line,
      hint: "give a job a secret another way (a file it reads, or the pool's credential mechanism), or leave it out of .env if it is none",
    });
  }

  /** A macro named like a credential (an included .env) is masked the same way (an empty one holds nothing to mask). */
  macroValue(lower: string): string | undefined {
    const hit = this.table.get(lower);
    const value = hit ? hit.value : this.baseLookup(lower);
    if (value && isCredentialKey(lower)) return this.maskEnv(lower, `$(${lower.toUpperCase()})`);
    if (value && hit) this.noteDotenvValue(lower, hit);
    return value;
  }

  /**
   * A macro a `.env` file assigned (`include : .env`) put to use: its value is meant to stay out
   * of jobs (pixi-condor withholds .env's keys from getenv and $ENV), but condor_submit writes it
   * into the job ad, which every user of the pool can read. Said once per name, never masked
   * (the author asked for it).
   */
  private noteDotenvValue(lower: string, hit: Assignment): void {
    if (!hit.source.endsWith('.env')) return;
    if (this.warnedCredentials.has(`dotenv:${lower}`)) return;
    this.warnedCredentials.add(`dotenv:${lower}`);
    this.warnings.push({
      rule: 'submit/dotenv-in-job',
      message: `$(${hit.key}) comes from ${hit.source}: condor_submit writes it into the job ad, which every user of the pool can read (condor_q -l)`,
      file: this.at.file,
      line: this.at.line,
      hint: "give a job a secret another way (a file it reads, or the pool's credential mechanism); if the value is no secret, set it in the submit file itself",
    });
  }
}
