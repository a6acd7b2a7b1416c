// The admin webhook operations: validated request in (openapi-backend checked role and shape),
// the use case's JSON out; errors go to problem.ts.
import type { Context } from 'openapi-backend';
import type { ManageWebhooks } from '../webhooks/manage-webhooks.js';
import { actorOf, type OperationHandlers } from './api.js';

/** Without use cases (apps built for tests of other parts) the operations exist and fail as 500s. */
export function createWebhookHandlers(deps: { webhooks?: ManageWebhooks }): OperationHandlers {
  const webhooks = () => {
    if (!deps.webhooks) throw new Error('webhook use cases not configured');
    return deps.webhooks;
  };
  const params = (c: Context) => c.request.params as Record<string, string>;
  const id = (c: Context) => Number(params(c).webhook_id);
  return {
    createWebhook: async (c, req, res) => {
      res.status(201).json(await webhooks().create(actorOf(req), c.request.requestBody as { url: string; event_types: string[]; enabled?: boolean }));
    },
    listWebhooks: async (_c, _req, res) => {
      res.json(await webhooks().list());
    },
    getWebhook: async (c, _req, res) => {
      res.json(await webhooks().get(id(c)));
    },
    updateWebhook: async (c, req, res) => {
      res.json(await webhooks().update(actorOf(req), id(c), c.request.requestBody as { url?: string; event_types?: string[]; enabled?: boolean }));
    },
    deleteWebhook: async (c, req, res) => {
      await webhooks().remove(actorOf(req), id(c));
      res.status(204).end();
    },
    rotateWebhookSecret: async (c, req, res) => {
      res.json(await webhooks().rotateSecret(actorOf(req), id(c)));
    },
    listWebhookDeliveries: async (c, _req, res) => {
      const limit = (c.request.query as Record<string, string | undefined>).limit;
      res.json(await webhooks().deliveries(id(c), limit === undefined ? 50 : Number(limit)));
    },
    replayWebhookDelivery: async (c, req, res) => {
      res.status(202).json(await webhooks().replay(actorOf(req), id(c), Number(params(c).delivery_id)));
    },
  };
}
