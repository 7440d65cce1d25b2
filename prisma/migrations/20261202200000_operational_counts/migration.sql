-- Operational counts for /metrics (README "Operations"): numbers across every tenant, never a row.
-- The API role reads no tenant's rows without its tenant set (row-level security); this function,
-- owned by the owner, returns only counts per tenant slug, for the metrics listener.
CREATE FUNCTION "operational_counts"() RETURNS TABLE (metric TEXT, tenant TEXT, label TEXT, value DOUBLE PRECISION)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT 'webhook_deliveries', t.slug::text, d.status::text, count(*)::double precision
    FROM webhook_delivery d JOIN tenant t ON t.id = d.tenant_id
    GROUP BY t.slug, d.status
  UNION ALL
  SELECT 'outbox_undispatched', t.slug::text, '', (SELECT count(*) FROM outbox_event e WHERE e.tenant_id = t.id AND e.dispatched_at IS NULL)::double precision
    FROM tenant t
  UNION ALL
  SELECT 'audit_chain_head', t.slug::text, '', coalesce((SELECT max(a.seq) FROM audit_event a WHERE a.tenant_id = t.id), 0)::double precision
    FROM tenant t
$$;
REVOKE ALL ON FUNCTION "operational_counts"() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "operational_counts"() TO en_akte_app;
