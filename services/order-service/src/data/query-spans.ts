// A span per database statement (BEGIN and COMMIT included) and per managed transaction, by
// wrapping this Sequelize instance's own query() and transaction(): every model call, raw query and
// transaction of Sequelize goes through them. Installed only when spans are exported. Spans carry
// the operation (the statement's first word), never its text or bind values. Statements outside a
// trace (background polls) make none.
import type { QueryOptions, Sequelize, Transaction, TransactionOptions } from 'sequelize';
import { context, inSpan, SpanKind, trace } from '../tracing/trace-context.js';

export interface QuerySpanTarget {
  database: string;
  host: string;
  port: number;
}

type ManagedWork = (t: Transaction) => PromiseLike<unknown>;

// each traced instance's span attributes, for the statements that do not go through its query()
const tracedAttributes = new WeakMap<Sequelize, Record<string, string | number>>();

export function traceQueries(sequelize: Sequelize, target: QuerySpanTarget): void {
  const base = { 'db.system.name': 'postgresql', 'db.namespace': target.database, 'server.address': target.host, 'server.port': target.port };
  tracedAttributes.set(sequelize, base);
  const query = sequelize.query.bind(sequelize);
  const transaction = sequelize.transaction.bind(sequelize);

  Object.assign(sequelize, {
    query: (sql: string | { query: string; values: unknown[] }, options?: QueryOptions) => {
      if (!inTrace()) return query(sql, options);
      const operation = operationOf(sql);
      return inSpan(operation, { kind: SpanKind.CLIENT, attributes: { ...base, 'db.operation.name': operation } }, () => query(sql, options));
    },
    transaction: (options?: TransactionOptions | ManagedWork, fn?: ManagedWork) => {
      const [opts, work] = typeof options === 'function' ? [{}, options] : [options ?? {}, fn];
      // an unmanaged transaction (no callback) has no scope to wrap: its statements still get spans
      if (!work) return transaction(opts);
      if (!inTrace()) return transaction(opts, work);
      return inSpan('transaction', { kind: SpanKind.INTERNAL, attributes: base }, () => transaction(opts, work));
    },
  });
}

/** The span query() would make, for a statement run on a connection of the pool outside it (COPY); none untraced or outside a trace. */
export function inStatementSpan<T>(sequelize: Sequelize, operation: string, work: () => Promise<T>): Promise<T> {
  const base = tracedAttributes.get(sequelize);
  if (!base || !inTrace()) return work();
  return inSpan(operation, { kind: SpanKind.CLIENT, attributes: { ...base, 'db.operation.name': operation } }, () => work());
}

// the relay's, the reconciler's and the retention purge's polls outside any request would each be a trace of their own
const inTrace = () => trace.getSpan(context.active()) !== undefined;

/** SELECT, INSERT, UPDATE, DELETE, WITH, BEGIN, COMMIT, ROLLBACK, …: the statement's first keyword. */
function operationOf(sql: string | { query: string }): string {
  const text = typeof sql === 'string' ? sql : sql.query;
  const word = /^\s*([A-Za-z]+)/.exec(text)?.[1]?.toUpperCase() ?? 'QUERY';
  return word === 'START' ? 'BEGIN' : word;
}
