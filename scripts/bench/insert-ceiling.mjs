// The bench's ceiling for POST /orders: Express and a pg pool of 10, one INSERT per request.
// CA_FILE: TLS to the server (PgBouncer), verified against that CA.
import { readFileSync } from 'node:fs';
import express from 'express';
import pg from 'pg';

const ssl = process.env.CA_FILE ? { ca: readFileSync(process.env.CA_FILE), servername: 'localhost' } : undefined;
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10, ssl });
const app = express();
app.use(express.json());
app.get('/', (_req, res) => res.send('ok'));
app.post('/', async (req, res) => {
  const r = await pool.query('INSERT INTO bench_inserts (body) VALUES ($1) RETURNING id', [req.body]);
  res.status(201).json({ id: r.rows[0].id });
});
app.listen(Number(process.env.PORT), '127.0.0.1');
