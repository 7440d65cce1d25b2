-- Issue #14: one audit append in one round trip. The chain head is read under the tenant's
-- advisory lock and the event inserted in the same call, so the lock is held for this statement
-- and the COMMIT only (it was held across three statements and their Node-side latency).
--
-- The hash is the one src/modules/audit/chain.ts defines (SHA-256 of prevHash, a newline and the
-- canonical JSON of the event): the service sends the canonical JSON in three parts, around the
-- two values only the head can give (prevHash and seq), and the function puts them in. The
-- verifier is unchanged.
--
-- VOLATILE, so each query in it takes a fresh snapshot (READ COMMITTED): the head is read after
-- the lock is granted and sees the append committed just before. SECURITY INVOKER: row-level
-- security and the caller's privileges (INSERT, no UPDATE or DELETE) apply as before.
CREATE FUNCTION audit_append(
  p_tenant UUID, p_id UUID, p_at TIMESTAMPTZ, p_actor_tenant TEXT, p_actor_sub TEXT, p_client_id TEXT, p_grant_id UUID,
  p_action TEXT, p_object_type TEXT, p_object_id UUID, p_old JSONB, p_new JSONB, p_request_id TEXT,
  p_json_before_prev TEXT, p_json_before_seq TEXT, p_json_after_seq TEXT
) RETURNS TABLE (audit_seq BIGINT, audit_hash TEXT, audit_prev_hash TEXT)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
DECLARE
  v_seq BIGINT;
  v_prev TEXT;
  v_hash TEXT;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('audit:' || p_tenant::text, 0));
  SELECT e.seq, e.hash INTO v_seq, v_prev FROM audit_event e WHERE e.tenant_id = p_tenant ORDER BY e.seq DESC LIMIT 1;
  v_seq := coalesce(v_seq, 0) + 1;
  v_prev := coalesce(v_prev, repeat('0', 64));
  v_hash := encode(sha256(convert_to(
    v_prev || E'\n' || p_json_before_prev || to_json(v_prev)::text || p_json_before_seq || v_seq::text || p_json_after_seq, 'UTF8')), 'hex');
  INSERT INTO audit_event (tenant_id, seq, id, at, actor_tenant, actor_sub, client_id, grant_id, action, object_type,
                           object_id, old_values, new_values, request_id, prev_hash, hash)
  VALUES (p_tenant, v_seq, p_id, p_at, p_actor_tenant, p_actor_sub, p_client_id, p_grant_id, p_action, p_object_type,
          p_object_id, p_old, p_new, p_request_id, v_prev, v_hash);
  RETURN QUERY SELECT v_seq, v_hash, v_prev;
END
$$;

GRANT EXECUTE ON FUNCTION audit_append(UUID, UUID, TIMESTAMPTZ, TEXT, TEXT, TEXT, UUID, TEXT, TEXT, UUID, JSONB, JSONB, TEXT, TEXT, TEXT, TEXT) TO en_akte_app;
