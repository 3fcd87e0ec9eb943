-- The activities pricing a SKU are found by the SKU (the cart page, the
-- checkout quote and the order ask which activities price their SKUs); the
-- primary key (activity_id, sku_id) cannot answer that without a full scan.
CREATE INDEX activity_skus_by_sku ON activity_skus (sku_id);
