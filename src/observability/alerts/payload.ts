import type { Alert } from './engine.js';

/** Slack's three control characters in message text (mentions, links) are escaped so event values cannot ping a channel. */
export function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A one-line summary of an alert. */
export function alertSummary(a: Alert): string {
  const group = Object.entries(a.group).map(([k, v]) => `${k}=${v}`).join(' ');
  return `[${a.severity}] ${a.rule}: ${a.count} events (> ${a.threshold}) in ${a.windowSeconds}s${group === '' ? '' : ` for ${group}`}; last ${a.sample.kind} ${a.sample.reason}`;
}

/**
 * The body of an alert delivery: the alert object itself (`json`) or a Slack incoming-webhook
 * payload (`slack`, also accepted by Mattermost and Rocket.Chat) with escaped text.
 *
 * @example
 * alertPayload(alert, 'slack'); // { text: '[high] brute-force: 21 events ...', blocks: [...] }
 */
export function alertPayload(a: Alert, format: 'json' | 'slack'): unknown {
  if (format === 'json') return { alert: a };
  const text = slackEscape(alertSummary(a));
  const fields = [
    `*Rule:* ${slackEscape(a.rule)}`, `*Severity:* ${a.severity}`, `*Count:* ${a.count} in ${a.windowSeconds}s (threshold ${a.threshold})`,
    ...Object.entries(a.group).map(([k, v]) => `*${slackEscape(k)}:* ${slackEscape(v)}`),
    `*Last event:* ${slackEscape(`${a.sample.kind} ${a.sample.reason}`)} (request ${slackEscape(a.sample.requestId)})`,
  ];
  return {
    text,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: `Portcullis alert: ${a.rule}`.slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: fields.join('\n') } },
    ],
  };
}
