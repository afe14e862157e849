/**
 * SecLang loader: reads files (with `Include` globs), runs every directive, and
 * produces a compiled RuleSet. Unknown directives are load errors with file:line.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, resolve, basename } from 'node:path';
import { lexDirectives, lexSecLang, type RawDirective } from './lexer.js';
import { WafLoadError } from './errors.js';
import { RuleSet } from './ruleset.js';
import { parseActionList, type RawAction } from './actions-parse.js';
import { buildSecRuleSteps, buildSecAction, blankRule, applyActions } from './rule-builder.js';
import { parseVariables } from './variables.js';
import { parseIdRanges } from '../actions/ctl.js';
import type { Rule } from '../types.js';
import { relaxPossessive } from '../regex/possessive.js';
import { runSteps, type Steps } from '../steps.js';

// Directives whose job belongs to the gateway (audit/debug logs, temp files) or to
// persistence we do not keep: accepted so stock configs load, listed on the RuleSet.
const NO_EFFECT = new Set([
  'secauditengine', 'secauditlog', 'secauditlog2', 'secauditlogparts', 'secauditlogrelevantstatus', 'secauditlogtype',
  'secauditlogstoragedir', 'secauditlogdirmode', 'secauditlogfilemode', 'secauditlogformat', 'secdebuglog', 'secdebugloglevel',
  'secdatadir', 'sectmpdir', 'secuploaddir', 'secuploadkeepfiles', 'secuploadfilemode', 'secuploadfilelimit', 'secpcrematchlimit',
  'secpcrematchlimitrecursion', 'secargumentseparator', 'seccookieformat', 'secstatusengine', 'secunicodemapfile',
  'secrequestbodyinmemorylimit', 'secrequestbodynofileslimit', 'secresponsebodylimitaction',
  'secwebappid', 'secargumentslimit', 'secrequestbodyjsondepthlimit', 'sectmpsaveuploadedfiles', 'secserversignature',
  'seccontentinjection', 'secstreamoutbodyinspection', 'secstreaminbodyinspection', 'secxmlexternalentity', 'secconnengine',
]);

/**
 * Incrementally loads SecLang into one RuleSet.
 *
 * @example
 * const l = new SecLangLoader(); l.loadString('SecRuleEngine On', 'inline.conf'); const rs = l.finish();
 */
export class SecLangLoader {
  readonly ruleSet = new RuleSet();
  #defaults = new Map<number, RawAction[]>();
  #pendingChain: Rule | undefined;
  #chainHead: Rule | undefined;
  // Reports wait for finish(): a chain head's id is known before its links, but a
  // SecRuleRemoveById later in the files may still drop the rule.
  #pendingReports: Array<{ head: Rule; file: string; line: number; kind: 'disabled' | 'approximated'; reason: string }> = [];
  #depth = 0;

  loadFile(path: string): void {
    const steps = this.loadFileSteps(path);
    while (steps.next().done !== true) { /* all at once */ }
  }

  loadString(text: string, file: string): void {
    for (const d of lexSecLang(text, file)) runSteps(this.#directiveSteps(d));
  }

  /**
   * loadFile one directive at a time: yields after each, so a caller can spread a large file
   * (CRS's 932 rules compile for seconds) over several event-loop turns (ADR 0026).
   *
   * @example
   * const steps = l.loadFileSteps('/crs/rules/REQUEST-932-APPLICATION-ATTACK-RCE.conf');
   * while (!steps.next().done) if (sliceOver()) await nextTurn();
   */
  *loadFileSteps(path: string): Generator<void, void, void> {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      throw new WafLoadError(`cannot read: ${(e as Error).message}`, path, 0);
    }
    for (const d of lexDirectives(decodeRuleFile(bytes, path), path)) {
      yield* this.#directiveSteps(d);
      yield;
    }
  }

  finish(): RuleSet {
    if (this.#pendingChain) throw new WafLoadError('rule chain not terminated (last rule has `chain`)', this.#pendingChain.file, this.#pendingChain.line);
    const kept = new Set(this.ruleSet.rules);
    for (const { head, ...r } of this.#pendingReports) if (kept.has(head)) this.ruleSet.regexReports.push({ ruleId: head.id, ...r });
    return this.ruleSet.finish();
  }

  #defaultsFor = (phase: number): readonly RawAction[] => this.#defaults.get(phase) ?? [];

  /** A directive; a SecRule yields between its operator's pieces of work (a long @rx pattern, ADR 0039). */
  *#directiveSteps(d: RawDirective): Steps<void> {
    if (d.name.toLowerCase() !== 'secrule') { this.#directive(d); return; }
    this.#addRule(yield* buildSecRuleSteps(d.args, d.file, d.line, this.#pendingChain ? [] : this.#defaultsFor));
  }

  #directive(d: RawDirective): void {
    const name = d.name.toLowerCase();
    const s = this.ruleSet.settings;
    const onOff = (): boolean => {
      const v = (d.args[0] ?? '').toLowerCase();
      if (v !== 'on' && v !== 'off') throw new WafLoadError(`${d.name} expects On or Off`, d.file, d.line);
      return v === 'on';
    };
    const num = (): number => {
      const n = Number(d.args[0]);
      if (!Number.isFinite(n) || n < 0) throw new WafLoadError(`${d.name} expects a number`, d.file, d.line);
      return n;
    };
    switch (name) {
      case 'secaction': return this.#addRule(buildSecAction(d.args, d.file, d.line, this.#defaultsFor));
      case 'secmarker': {
        const r = blankRule('SecMarker', d.file, d.line);
        r.marker = d.args[0] ?? '';
        this.ruleSet.rules.push(r);
        return;
      }
      case 'secdefaultaction': {
        const list = parseActionList(d.args[0] ?? '', d.file, d.line);
        const phase = list.find((a) => a.name === 'phase');
        if (!phase) throw new WafLoadError('SecDefaultAction needs a phase', d.file, d.line);
        const probe = blankRule('SecAction', d.file, d.line);
        applyActions(probe, list, d.file, d.line);
        if (!probe.disruptive) throw new WafLoadError('SecDefaultAction needs a disruptive action', d.file, d.line);
        this.#defaults.set(probe.phase, list.filter((a) => a.name !== 'phase'));
        this.ruleSet.defaultDisruptive.set(probe.phase, probe.disruptive);
        return;
      }
      case 'secruleengine': {
        const v = (d.args[0] ?? '').toLowerCase();
        if (v === 'on') s.ruleEngine = 'On';
        else if (v === 'off') s.ruleEngine = 'Off';
        else if (v === 'detectiononly') s.ruleEngine = 'DetectionOnly';
        else throw new WafLoadError('SecRuleEngine expects On, Off or DetectionOnly', d.file, d.line);
        return;
      }
      case 'secrequestbodyaccess': s.requestBodyAccess = onOff(); return;
      case 'secresponsebodyaccess': s.responseBodyAccess = onOff(); return;
      case 'secrequestbodylimit': s.requestBodyLimit = num(); return;
      case 'secrequestbodylimitaction': {
        const v = (d.args[0] ?? '').toLowerCase();
        if (v === 'reject') s.requestBodyLimitAction = 'Reject';
        else if (v === 'processpartial') s.requestBodyLimitAction = 'ProcessPartial';
        else throw new WafLoadError('SecRequestBodyLimitAction expects Reject or ProcessPartial', d.file, d.line);
        return;
      }
      case 'secresponsebodylimit': s.responseBodyLimit = num(); return;
      case 'secresponsebodymimetype': s.responseBodyMimeTypes.push(...d.args.join(' ').split(/\s+/)); return;
      case 'secresponsebodymimetypesclear': s.responseBodyMimeTypes = []; return;
      case 'seccollectiontimeout': s.collectionTimeout = num(); return;
      case 'seccomponentsignature': s.componentSignatures.push(d.args[0] ?? ''); return;
      case 'secruleremovebyid': {
        const ranges = parseIdRanges(d.args.join(' '));
        this.#removeRules((r) => ranges.some(([a, b]) => r.id >= a && r.id <= b));
        return;
      }
      case 'secruleremovebytag': return this.#removeRules((r) => matchText(r.tags, d.args[0] ?? ''));
      case 'secruleremovebymsg': return this.#removeRules((r) => r.msg !== undefined && matchText([r.msg.source], d.args[0] ?? ''));
      case 'secruleupdatetargetbyid':
      case 'secruleupdatetargetbytag':
      case 'secruleupdatetargetbymsg': return this.#updateTargets(name, d);
      case 'secruleupdateactionbyid': {
        const id = Number((d.args[0] ?? '').split(':')[0]);
        const rule = this.ruleSet.byId(id);
        if (!rule) throw new WafLoadError(`SecRuleUpdateActionById: no rule ${d.args[0] ?? ''}`, d.file, d.line);
        applyActions(rule, parseActionList(d.args[1] ?? '', d.file, d.line).filter((a) => a.name !== 'id'), d.file, d.line);
        return;
      }
      case 'include': return this.#include(d, false);
      case 'includeoptional': return this.#include(d, true);
      default:
        if (NO_EFFECT.has(name)) { this.ruleSet.ignoredDirectives.push(`${d.file}:${d.line}: ${d.name}`); return; }
        throw new WafLoadError(`unsupported directive ${d.name}`, d.file, d.line);
    }
  }

  #addRule(rule: Rule): void {
    const head = this.#pendingChain ? this.#chainHead : rule;
    if (head && rule.kind === 'SecRule') this.#report(head, rule);
    if (this.#pendingChain) {
      if (rule.kind !== 'SecRule') throw new WafLoadError('a chain must continue with SecRule', rule.file, rule.line);
      rule.phase = this.#pendingChain.phase;
      this.#pendingChain.chain = rule;
      this.#pendingChain = rule.hasChainAction ? rule : undefined;
      return;
    }
    if (rule.id === 0) throw new WafLoadError('rule has no id', rule.file, rule.line);
    if (this.ruleSet.byId(rule.id)) throw new WafLoadError(`duplicate rule id ${rule.id}`, rule.file, rule.line);
    this.ruleSet.rules.push(rule);
    if (rule.hasChainAction) { this.#pendingChain = rule; this.#chainHead = rule; }
  }

  /** Lists a link whose pattern cannot run (the whole chain then never runs) or runs approximated. */
  #report(head: Rule, link: Rule): void {
    const at = { file: link.file, line: link.line };
    if (link.unsupported !== undefined) {
      head.unsupported ??= link.unsupported;
      this.#pendingReports.push({ head, ...at, kind: 'disabled', reason: link.unsupported });
    } else if (link.operatorName.toLowerCase() === 'rx') {
      // Greedy matches a superset: more matches for a plain rule, fewer for a negated one.
      const effect = link.negated ? '; negated rule, so it may match less' : '';
      for (const a of relaxPossessive(link.operatorArgument).approximations) this.#pendingReports.push({ head, ...at, kind: 'approximated', reason: `@rx: ${a}${effect}` });
    }
  }

  #removeRules(pred: (r: Rule) => boolean): void {
    const keep = this.ruleSet.rules.filter((r) => r.kind === 'SecMarker' || !pred(r));
    this.ruleSet.rules.length = 0;
    this.ruleSet.rules.push(...keep);
  }

  #updateTargets(name: string, d: RawDirective): void {
    const sel = d.args[0] ?? '';
    const specs = parseVariables(d.args[1] ?? '', d.file, d.line);
    let rules: Rule[];
    if (name === 'secruleupdatetargetbyid') {
      const ranges = parseIdRanges(sel);
      rules = this.ruleSet.rules.filter((r) => ranges.some(([a, b]) => r.id >= a && r.id <= b));
    } else if (name === 'secruleupdatetargetbytag') {
      rules = this.ruleSet.rules.filter((r) => matchText(r.tags, sel));
    } else {
      rules = this.ruleSet.rules.filter((r) => r.msg !== undefined && matchText([r.msg.source], sel));
    }
    for (const r of rules) {
      for (const s of specs) (s.exclude ? r.exclusions : r.targets).push(s);
    }
  }

  #include(d: RawDirective, optional: boolean): void {
    if (++this.#depth > 16) throw new WafLoadError('Include nested too deeply', d.file, d.line);
    const pattern = resolve(dirname(d.file), d.args[0] ?? '');
    const files = expandGlob(pattern);
    if (files.length === 0 && optional) { this.#depth--; return; }
    if (files.length === 0) throw new WafLoadError(`Include matched no files: ${d.args[0] ?? ''}`, d.file, d.line);
    for (const f of files) this.loadFile(f);
    this.#depth--;
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Rule files must be UTF-8: a stray byte would otherwise turn into U+FFFD inside a pattern unnoticed. */
function decodeRuleFile(bytes: Buffer, file: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    // Find the first bad byte's line: decode growing prefixes line by line.
    let line = 1;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i < bytes.length && bytes[i] !== 0x0a) continue;
      try { strictUtf8.decode(bytes.subarray(start, i)); } catch { break; }
      line++;
      start = i + 1;
    }
    throw new WafLoadError('invalid UTF-8 in rule file', file, line);
  }
}

function matchText(values: readonly string[], sel: string): boolean {
  if (sel.length >= 2 && sel.startsWith('/') && sel.endsWith('/')) {
    const re = new RegExp(sel.slice(1, -1));
    return values.some((v) => re.test(v));
  }
  return values.includes(sel);
}

/** Expands `*`/`?` in the last path segment (what SecLang configs use), sorted. */
function expandGlob(pattern: string): string[] {
  const base = basename(pattern);
  if (!/[*?[]/.test(base)) {
    try { return statSync(pattern).isFile() ? [pattern] : []; } catch { return []; }
  }
  const dir = dirname(pattern);
  const re = new RegExp(`^${base.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  let names: string[];
  try { names = readdirSync(dir); } catch { return []; }
  return names.filter((n) => re.test(n)).sort().map((n) => resolve(dir, n));
}

/**
 * Loads files in order into one rule set.
 *
 * @example
 * const rs = loadRuleFiles(['crs-setup.conf', 'rules/*.conf'])
 */
export function loadRuleFiles(patterns: readonly string[]): RuleSet {
  const l = new SecLangLoader();
  for (const p of patterns) {
    const files = expandGlob(resolve(p));
    if (files.length === 0) throw new WafLoadError('no such file', p, 0);
    for (const f of files) l.loadFile(f);
  }
  return l.finish();
}

/**
 * Loads SecLang text (data files resolve against `file`'s folder).
 *
 * @example
 * const rs = loadRuleString('SecRule ARGS "@rx a" "id:1,deny"')
 */
export function loadRuleString(text: string, file = 'inline.conf'): RuleSet {
  const l = new SecLangLoader();
  l.loadString(text, file);
  return l.finish();
}
