// The unit of work over Sequelize's managed transactions, and the one place where the use cases'
// opaque Tx is turned back into the Transaction it is.

import type { Transaction } from 'sequelize';
import type { Tx, UnitOfWork } from '../orders/ports.js';
import type { Database } from './database.js';

export function createUnitOfWork(db: Database): UnitOfWork {
  return { run: (work) => db.transaction((t) => work(txOf(t))) };
}

export function txOf(transaction: Transaction): Tx {
  return transaction as unknown as Tx;
}

export function transactionOf(tx: Tx): Transaction;
export function transactionOf(tx: Tx | undefined): Transaction | undefined;
export function transactionOf(tx: Tx | undefined): Transaction | undefined {
  return tx as unknown as Transaction | undefined;
}
