// Sequelize models of the three order tables. The tables themselves come from migrations/.

import { DataTypes, Model, type InferAttributes, type InferCreationAttributes, type CreationOptional, type Sequelize } from 'sequelize';

export class OrderModel extends Model<InferAttributes<OrderModel>, InferCreationAttributes<OrderModel>> {
  declare id: CreationOptional<string>;
  declare order_number: string;
  declare user_id: number;
  declare customer_email: string;
  declare customer_phone: string | null;
  declare status: CreationOptional<string>;
  declare payment_status: CreationOptional<string>;
  declare currency: string;
  declare subtotal_cents: number;
  declare tax_cents: number;
  declare shipping_cents: number;
  declare discount_cents: number;
  declare total_cents: number;
  declare shipping_address: string;
  declare shipping_city: string;
  declare shipping_state: string | null;
  declare shipping_postal_code: string;
  declare shipping_country: string;
  declare billing_address: object | null;
  declare notes: string | null;
  declare tracking_number: CreationOptional<string | null>;
  declare version: CreationOptional<number>;
  declare created_at: CreationOptional<Date>;
  declare updated_at: CreationOptional<Date>;
  declare confirmed_at: CreationOptional<Date | null>;
  declare processing_at: CreationOptional<Date | null>;
  declare shipped_at: CreationOptional<Date | null>;
  declare delivered_at: CreationOptional<Date | null>;
  declare cancelled_at: CreationOptional<Date | null>;
  declare refunded_at: CreationOptional<Date | null>;
}

export class OrderItemModel extends Model<InferAttributes<OrderItemModel>, InferCreationAttributes<OrderItemModel>> {
  declare id: CreationOptional<string>;
  declare order_id: string;
  declare product_id: number;
  declare sku: string | null;
  declare product_name: string;
  declare product_image: string | null;
  declare quantity: number;
  declare unit_price_cents: number;
  declare total_price_cents: number;
}

export class OrderStatusHistoryModel extends Model<
  InferAttributes<OrderStatusHistoryModel>,
  InferCreationAttributes<OrderStatusHistoryModel>
> {
  declare id: CreationOptional<string>;
  declare order_id: string;
  declare from_status: string | null;
  declare to_status: string;
  declare actor_id: number | null;
  declare actor_role: string | null;
  declare reason: string | null;
  declare created_at: CreationOptional<Date>;
}

export interface Models {
  Order: typeof OrderModel;
  OrderItem: typeof OrderItemModel;
  OrderStatusHistory: typeof OrderStatusHistoryModel;
}

// factories: Sequelize writes into attribute definitions, so none may be shared
const money = () => ({ type: DataTypes.BIGINT, allowNull: false });
const at = () => ({ type: DataTypes.DATE, allowNull: true });

export function defineModels(sequelize: Sequelize): Models {
  // fresh subclasses per Sequelize instance: init() binds a class to one instance, and tests run several
  const Order = class Order extends OrderModel {};
  const OrderItem = class OrderItem extends OrderItemModel {};
  const OrderStatusHistory = class OrderStatusHistory extends OrderStatusHistoryModel {};
  Order.init(
    {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      order_number: { type: DataTypes.STRING(32), allowNull: false, unique: true },
      user_id: { type: DataTypes.BIGINT, allowNull: false },
      customer_email: { type: DataTypes.STRING(320), allowNull: false },
      customer_phone: { type: DataTypes.STRING(40), allowNull: true },
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'pending' },
      payment_status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'pending' },
      currency: { type: DataTypes.STRING(3), allowNull: false },
      subtotal_cents: money(),
      tax_cents: money(),
      shipping_cents: money(),
      discount_cents: money(),
      total_cents: money(),
      shipping_address: { type: DataTypes.TEXT, allowNull: false },
      shipping_city: { type: DataTypes.TEXT, allowNull: false },
      shipping_state: { type: DataTypes.TEXT, allowNull: true },
      shipping_postal_code: { type: DataTypes.TEXT, allowNull: false },
      shipping_country: { type: DataTypes.TEXT, allowNull: false },
      billing_address: { type: DataTypes.JSONB, allowNull: true },
      notes: { type: DataTypes.TEXT, allowNull: true },
      tracking_number: { type: DataTypes.STRING(100), allowNull: true },
      version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
      created_at: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
      updated_at: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
      confirmed_at: at(),
      processing_at: at(),
      shipped_at: at(),
      delivered_at: at(),
      cancelled_at: at(),
      refunded_at: at(),
    },
    { sequelize, tableName: 'orders', modelName: 'Order' },
  );
  OrderItem.init(
    {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      order_id: { type: DataTypes.BIGINT, allowNull: false },
      product_id: { type: DataTypes.BIGINT, allowNull: false },
      sku: { type: DataTypes.TEXT, allowNull: true },
      product_name: { type: DataTypes.TEXT, allowNull: false },
      product_image: { type: DataTypes.TEXT, allowNull: true },
      quantity: { type: DataTypes.INTEGER, allowNull: false },
      unit_price_cents: money(),
      total_price_cents: money(),
    },
    { sequelize, tableName: 'order_items', modelName: 'OrderItem' },
  );
  OrderStatusHistory.init(
    {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      order_id: { type: DataTypes.BIGINT, allowNull: false },
      from_status: { type: DataTypes.STRING(16), allowNull: true },
      to_status: { type: DataTypes.STRING(16), allowNull: false },
      actor_id: { type: DataTypes.BIGINT, allowNull: true },
      actor_role: { type: DataTypes.STRING(16), allowNull: true },
      reason: { type: DataTypes.TEXT, allowNull: true },
      created_at: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
    },
    { sequelize, tableName: 'order_status_history', modelName: 'OrderStatusHistory' },
  );
  Order.hasMany(OrderItem, { foreignKey: 'order_id', as: 'items' });
  Order.hasMany(OrderStatusHistory, { foreignKey: 'order_id', as: 'history' });
  return { Order, OrderItem, OrderStatusHistory };
}
