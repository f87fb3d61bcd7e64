-- hub/schema.sql - the district hub's PostgreSQL schema (docs/hub.md).
-- Run by `cetak-hub init` as the hub's owner; idempotent.
--
-- Stations push slices of their signed audit chain into hub.intake through
-- hub.push(), the only thing a station's role may do besides reading its
-- acknowledgement with hub.ack(). cetak-hub verifies each slice against the
-- station's registered certificate and the chain it holds, then moves the
-- records into hub.records; a slice that does not verify stops the station
-- (status 'refused') with an alarm, and nothing of it is merged.

CREATE SCHEMA IF NOT EXISTS hub;
REVOKE ALL ON SCHEMA hub FROM PUBLIC;

DO $$ BEGIN
	CREATE ROLE cetak_station NOLOGIN;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

CREATE TABLE IF NOT EXISTS hub.stations (
	id serial PRIMARY KEY,
	name text NOT NULL UNIQUE,
	role_name text NOT NULL UNIQUE,
	cert_pem text NOT NULL,
	registered_at timestamptz NOT NULL DEFAULT now(),
	-- the chain verified so far
	head_seq bigint NOT NULL DEFAULT 0,
	head_hash bytea NOT NULL DEFAULT decode(repeat('00', 32), 'hex'),
	balance jsonb NOT NULL DEFAULT '{}',
	last_push timestamptz,
	last_record_at bigint,
	status text NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'refused')),
	refused_why text
);

CREATE TABLE IF NOT EXISTS hub.intake (
	station_id int NOT NULL REFERENCES hub.stations,
	first_seq bigint NOT NULL,
	last_seq bigint NOT NULL,
	body text NOT NULL,
	received_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (station_id, first_seq)
);

-- slices that did not verify, kept for the investigation
CREATE TABLE IF NOT EXISTS hub.refused (
	station_id int NOT NULL REFERENCES hub.stations,
	first_seq bigint NOT NULL,
	last_seq bigint NOT NULL,
	body text NOT NULL,
	received_at timestamptz NOT NULL,
	why text NOT NULL
);

CREATE TABLE IF NOT EXISTS hub.records (
	station_id int NOT NULL REFERENCES hub.stations,
	seq bigint NOT NULL,
	at bigint NOT NULL,
	kind text NOT NULL,
	line text,
	count int,
	lot text,
	chip text,
	job text,
	cause text,
	doc text,
	actor text,
	record jsonb NOT NULL,
	PRIMARY KEY (station_id, seq)
);
CREATE INDEX IF NOT EXISTS records_kind_at ON hub.records (kind, at);
CREATE INDEX IF NOT EXISTS records_doc ON hub.records (doc) WHERE doc IS NOT NULL;

CREATE TABLE IF NOT EXISTS hub.alarms (
	id bigserial PRIMARY KEY,
	at timestamptz NOT NULL DEFAULT now(),
	station_id int REFERENCES hub.stations,
	kind text NOT NULL,
	message text NOT NULL
);

-- The calling station, found by its role (called inside the two functions
-- below, as their owner; no station may call it).
CREATE OR REPLACE FUNCTION hub.caller() RETURNS hub.stations
LANGUAGE plpgsql SECURITY DEFINER SET search_path = hub, pg_temp AS $$
DECLARE
	st hub.stations;
BEGIN
	SELECT * INTO st FROM hub.stations WHERE role_name = session_user;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'role % is not a registered station', session_user;
	END IF;
	RETURN st;
END $$;

-- What the hub has of the calling station's chain: the last record it
-- verified or holds in its intake. The station pushes from the next one.
CREATE OR REPLACE FUNCTION hub.ack() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = hub, pg_temp AS $$
DECLARE
	st hub.stations := hub.caller();
BEGIN
	RETURN GREATEST(st.head_seq,
		COALESCE((SELECT max(last_seq) FROM hub.intake WHERE station_id = st.id), 0));
END $$;

-- A slice of the calling station's chain (ledger_export_range). Taken once:
-- the same slice again changes nothing. Returns the new acknowledgement, or
-- -1 for an oversized slice (refused, an alarm raised, the reason a notice).
CREATE OR REPLACE FUNCTION hub.push(first bigint, last bigint, body text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = hub, pg_temp AS $$
DECLARE
	st hub.stations := hub.caller();
BEGIN
	IF st.status <> 'ok' THEN
		RAISE EXCEPTION 'station % is refused by the hub: %', st.name, st.refused_why;
	END IF;
	IF length(body) > 16777216 OR last - first >= 20000 OR last < first - 1 THEN
		-- refused and raised as an alarm (an exception would roll the alarm
		-- back): -1, and the reason as a notice
		INSERT INTO hub.alarms (station_id, kind, message) VALUES (st.id, 'oversized',
			format('a slice of records %s to %s (%s bytes) was refused: at most 20000 records and 16 MB',
			       first, last, length(body)));
		RAISE NOTICE 'slice of records % to % refused: at most 20000 records and 16 MB', first, last;
		RETURN -1;
	END IF;
	INSERT INTO hub.intake (station_id, first_seq, last_seq, body)
		VALUES (st.id, first, last, body) ON CONFLICT DO NOTHING;
	UPDATE hub.stations SET last_push = now() WHERE id = st.id;
	PERFORM pg_notify('cetak_hub_intake', st.id::text);
	RETURN hub.ack();
END $$;

REVOKE ALL ON ALL TABLES IN SCHEMA hub FROM PUBLIC;
REVOKE ALL ON FUNCTION hub.caller(), hub.ack(), hub.push(bigint, bigint, text) FROM PUBLIC;
GRANT USAGE ON SCHEMA hub TO cetak_station;
GRANT EXECUTE ON FUNCTION hub.ack(), hub.push(bigint, bigint, text) TO cetak_station;
