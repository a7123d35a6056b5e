/**
 * The SERVER span of a request on the tunnel listener: parent taken from the caller's trace
 * context (W3C `traceparent`), ended when the response closes, with the status code. Made here
 * rather than by the HTTP instrumentation, which wraps every listener of the request and
 * response streams and cost a large share of the CPU per request. The query is never recorded.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Context, Span, Tracer } from '@opentelemetry/api';

/** Start the SERVER span of `req`; returns it and the trace context its child spans take as parent. */
export function startServerSpan(tracer: Tracer, req: IncomingMessage, res: ServerResponse, route: string): { span: Span; ctx: Context } {
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const method = req.method ?? 'GET';
  const target = req.url ?? '';
  const q = target.indexOf('?');
  const span = tracer.startSpan(
    `${method} ${route}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': method,
        'http.route': route,
        'url.path': q < 0 ? target : target.slice(0, q),
        'url.scheme': 'http',
        'server.port': req.socket.localPort ?? 0,
        'client.address': req.socket.remoteAddress ?? '',
        'network.protocol.version': req.httpVersion,
      },
    },
    parent,
  );
  res.once('close', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    if (!res.writableFinished) span.setAttribute('error.type', 'client_aborted');
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  return { span, ctx: trace.setSpan(parent, span) };
}
