/** Relay counters and queue gauges for the admin `/metrics` endpoint (Prometheus text). */

/** What happened to a webhook at the relay listener. */
export type WebhookOutcome = 'queued' | 'dropped' | 'signature_invalid' | 'queue_full' | 'rejected' | 'failed';

export class RelayMetrics {
  private readonly webhooks = new Map<string, number>();
  private readonly deliveries = new Map<string, number>();
  private readonly retries = new Map<string, number>();
  private readonly deadLetters = new Map<string, number>();

  /** @param depth the queue's current size, read when the metrics are scraped. */
  constructor(private readonly depth: () => { count: number; bytes: number; perRelay: Map<string, number> }) {}

  webhook(relay: string, outcome: WebhookOutcome): void {
    bump(this.webhooks, `${relay}|${outcome}`);
  }

  delivered(relay: string): void {
    bump(this.deliveries, relay);
  }

  retried(relay: string): void {
    bump(this.retries, relay);
  }

  deadLettered(relay: string): void {
    bump(this.deadLetters, relay);
  }

  text(): string {
    const lines = [
      '# HELP rego_broker_relay_webhooks_total Webhooks received on /relay, by relay and outcome (queued, dropped by policy, signature_invalid, queue_full, rejected, failed).',
      '# TYPE rego_broker_relay_webhooks_total counter',
    ];
    for (const [key, n] of this.webhooks) {
      const [relay, outcome] = key.split('|');
      lines.push(`rego_broker_relay_webhooks_total{relay="${relay}",outcome="${outcome}"} ${n}`);
    }
    counter(lines, 'rego_broker_relay_deliveries_total', 'Webhooks delivered to the SaaS.', this.deliveries);
    counter(lines, 'rego_broker_relay_delivery_retries_total', 'Failed delivery attempts that will be retried.', this.retries);
    counter(lines, 'rego_broker_relay_dead_letters_total', 'Webhooks moved to the dead-letter directory.', this.deadLetters);
    const depth = this.depth();
    lines.push('# HELP rego_broker_relay_queue_depth Webhooks waiting for delivery, by relay.', '# TYPE rego_broker_relay_queue_depth gauge');
    for (const [relay, n] of depth.perRelay) lines.push(`rego_broker_relay_queue_depth{relay="${relay}"} ${n}`);
    lines.push('# HELP rego_broker_relay_queue_bytes Bytes of webhooks waiting for delivery.', '# TYPE rego_broker_relay_queue_bytes gauge', `rego_broker_relay_queue_bytes ${depth.bytes}`);
    return `${lines.join('\n')}\n`;
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function counter(lines: string[], name: string, help: string, values: Map<string, number>): void {
  lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
  for (const [relay, n] of values) lines.push(`${name}{relay="${relay}"} ${n}`);
}
