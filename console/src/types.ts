// Response and request shapes of /admin/api/* (docs/admin-api.md). Amounts are
// integer fen, times unix seconds, rates strings.

export type Role = 'owner' | 'operator' | 'service' | 'finance';
export type PageKey =
  | 'overview' | 'products' | 'orders' | 'afterSales' | 'marketing'
  | 'distribution' | 'members' | 'delivery' | 'data' | 'settings';

export interface StaffMember { id: number; username: string; name: string; role: Role }
export interface Session { staff: StaffMember; csrfToken: string; pages: PageKey[] }

export interface ErrorBody { code: string; message: string; details?: Record<string, unknown> | null }

/** A paged list. The server answers `pageSize` (older routes in the doc say `size`). */
export interface Paged<T> { items: T[]; total: number; page: number; pageSize?: number; size?: number; hasMore?: boolean }

// Overview
export interface DayPair<T = number> { today: T; yesterday: T }
export interface Overview {
  now: number;
  kpis: {
    gmv: DayPair; paidOrders: DayPair; buyers: DayPair; aov: DayPair;
    visitors: DayPair; conversion: DayPair<string>;
  };
  curve: { today: number[]; yesterday: number[] };
  counters: { toShip: number; afterSalesWaiting: number; stockAlerts: number };
}

// Products
export interface Category { id: number; parentId: number | null; name: string; sort: number }
export interface ProductRow {
  id: number; title: string; mainImage: string; categoryId: number | null; onShelf: boolean;
  sales: number; stock: number; minPrice: number; maxPrice: number; skuCount: number; alerts: number;
}
export interface SpecName { name: string; values: string[] }
export interface Sku {
  id?: number; specs: string[]; listPrice: number; stock: number; weightGrams: number; code: string;
  memberPrice: boolean; perUserLimit: number | null; alertThreshold: number; onShelf: boolean;
}
export interface Product {
  id?: number; categoryId: number | null; title: string; subtitle: string; description: string;
  mainImage: string; images: string[]; videoUrl: string; specNames: SpecName[]; onShelf: boolean; skus: Sku[];
}
export interface StockAlert { skuId: number; productId: number; title: string; specs: string[]; stock: number; alertThreshold: number }
export interface StockChange { skuId: number; before: number; after: number }
export interface LedgerRow {
  id: number; skuId: number; delta: number; before: number; after: number; reason: string;
  actor: string | null; orderId: number | null; createdAt: number;
}
export interface Upload { url: string; thumbUrl: string }

// Orders
export type OrderStatus = 'pending_payment' | 'paid' | 'grouping' | 'shipped' | 'completed' | 'cancelled' | 'refunded';
export type DeliveryKind = 'express' | 'pickup' | 'sameCity';
export interface OrderRow {
  id: number; orderNo: string; status: OrderStatus; payable: number; paidAmount: number | null;
  itemCount: number; delivery: string | { kind?: string }; buyer: { id: number; nickname: string };
  createdAt: number; paidAt: number | null; shippedAt: number | null;
  statusLabel?: string; refundedAmount?: number; afterSales?: number;
}
export interface OrderList extends Paged<OrderRow> { counts: Partial<Record<OrderStatus, number>> }
export interface OrderLine {
  lineId: string; skuId: number; productId: number; title: string; specs: string[]; image: string;
  quantity: number; listPrice: number; unitPrice: number; subtotal: number; itemDiscount: number;
  orderDiscount: number; net: number; pointsDeduction: number; paid: number;
}
export interface TimelineEvent { at: number; kind: string; text: string }
export interface OrderDetail {
  id: number; orderNo: string; status: OrderStatus; statusLabel: string; payable: number; itemCount: number;
  createdAt: number; lines: OrderLine[]; goodsTotal: number; discountTotal: number; shippingFee: number;
  pointsUsed: number; pointsDeduction: number; remark: string; delivery: { kind?: string; [k: string]: unknown } | null;
  address: { name?: string; phone?: string; province?: string; city?: string; district?: string; detail?: string } | null;
  paidAt: number | null; shippedAt: number | null; completedAt: number | null; cancelledAt: number | null;
  cancelReason: string | null; carrier: string | null; trackingNo: string | null; pickupCode: string | null;
  paidAmount: number | null; refundedAmount: number; timeline: TimelineEvent[];
}
export interface Carrier { code: string; name: string }
export interface ShipItem { orderId: number; carrier: string; trackingNo: string }
export interface ShipResult { orderId: number; ok: boolean; code?: string; message?: string }
export interface CsvRow {
  line: number; orderNo: string; carrier: string; trackingNo: string; ok: boolean; code?: string; message?: string;
}
export interface CsvResult { rows: CsvRow[]; okCount: number; errorCount: number; shipped: number }

// After-sales
export interface AfterSaleRow {
  id: number; orderId: number; orderNo: string; kind: 'refund_only' | 'return_refund'; status: string;
  amount: number; reason: string; createdAt: number; refund?: { status: string; amount: number } | null;
  statusLabel?: string; refundStatus?: string | null; refundId?: number | null;
}
export interface RefundQuote {
  lines: { lineId: string; quantity: number; amount: number; pointsDeduction: number }[];
  goodsAmount: number; shippingAmount: number; amount: number; pointsReturned: number;
  couponsReturned: string[]; wholeOrder: boolean; remaining: number;
}
export interface RefundRow { id: number; status: string; amount: number; createdAt?: number; error?: string | null; [k: string]: unknown }
export interface AfterSaleDetail {
  id: number; orderId: number; orderNo?: string; kind: string; status: string; reason: string; amount: number;
  items?: { lineId: string; quantity: number }[]; includeShipping?: boolean; pointsReturned?: number;
  rejectReason?: string | null; returnCarrier?: string | null; returnTrackingNo?: string | null;
  refundStatus?: string | null; refundId?: number | null; createdAt: number; statusLabel?: string;
  couponsReturned?: string[]; wholeOrder?: boolean;
  quote?: RefundQuote | null; refunds: RefundRow[];
}

// Marketing → 拼团 (GET /admin/api/groups; the activities' own shapes are in pages/marketing/types.ts)
export type GroupStatus = 'pending' | 'open' | 'success' | 'autoSuccess' | 'failed' | 'cancelled';
export interface AdminGroup {
  groupId: number; activityId: string; skuId: number; leader: { nickname: string; avatar: string };
  status: GroupStatus; size: number; held: number; paid: number;
  createdAt: number; expiresAt: number | null; closedAt: number | null;
}

// Data
export interface TrendPoint { start: number | string; gmv: number; refunds: number; net: number; paidOrders: number; buyers: number }
export interface Trend { bucket: 'hour' | 'day' | 'week' | 'month'; points: TrendPoint[] }
export interface FunnelStep { key: string; label: string; sessions: number }
export interface TopProduct { productId: number; title: string; views: number; addToCarts: number; orders?: number; units: number; amount: number; conversion: string }
export interface ChannelRow { channel: string; visitors: number; buyers: number; gmv: number }
export interface OrderTypeRow { kind: string; label?: string; orders: number; gmv: number }
export interface Heatmap { cells: number[][]; fact: string | null }

// Settings
export interface StaffRow { id: number; username: string; name: string; role: Role; disabled: boolean; lastLoginAt: number | null }
export interface AuditRow {
  id: number; staff: { id: number; username: string } | null; action: string; target: string;
  before: unknown; after: unknown; at: number;
}

// Exports (server/src/http/admin/exports.rs)
export interface ExportJob {
  id: number; kind: string; status: 'queued' | 'running' | 'done' | 'failed' | 'expired' | string;
  total: number; done: number; progress: number; error: string | null; createdAt: number; finishedAt: number | null;
}
