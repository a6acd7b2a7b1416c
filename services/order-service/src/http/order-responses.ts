// How an order answer is sent: its ETag (the version), If-Match, page headers and the JSON text.
import type { Request, Response } from 'express';
import type { JsonText, OrderPage } from './order-use-cases.js';
import { publicPath } from './public-path.js';

type Json = Record<string, unknown>;

/** A strong entity tag of the order's version. */
export function etagOf(order: Json): string {
  return `"${String(order.version)}"`;
}

/** RFC 9110 If-Match: "*" or a list of entity tags, compared strongly (a weak tag never matches). */
export function etagMatches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim() === etag);
}

/** The JSON, as the text its source already has (a cache hit) or serialised now. */
export function sendJson(res: Response, answer: JsonText): void {
  if (answer.text === undefined) res.json(answer.json);
  else res.type('application/json').send(answer.text);
}

export function sendOrder(res: Response, answer: JsonText, status = 200): void {
  res.setHeader('ETag', etagOf(answer.json));
  sendJson(res.status(status), answer);
}

/** A page of summaries with X-Total-Count and RFC 8288 links to the first, previous, next and last pages. */
export function sendPage(req: Request, res: Response, result: OrderPage, page: number, size: number): void {
  const lastPage = Math.max(1, Math.ceil(result.total / size));
  const link = (p: number, rel: string) => {
    const params = new URLSearchParams(req.query as Record<string, string>);
    params.set('page', String(p));
    params.set('size', String(size));
    return `<${publicPath(req, req.path)}?${params.toString()}>; rel="${rel}"`;
  };
  const links = [link(1, 'first')];
  if (page > 1) links.push(link(Math.min(page - 1, lastPage), 'prev'));
  if (page < lastPage) links.push(link(page + 1, 'next'));
  links.push(link(lastPage, 'last'));
  res.setHeader('X-Total-Count', String(result.total));
  res.setHeader('Link', links.join(', '));
  if (result.text === undefined) res.json(result.orders);
  else res.type('application/json').send(result.text);
}
