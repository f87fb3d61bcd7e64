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
-- the balance after each record (filled by the verifier as it replays the
-- stock rules), so that a period's opening and closing need no replay
ALTER TABLE hub.records
	ADD COLUMN IF NOT EXISTS peer text,
	ADD COLUMN IF NOT EXISTS on_hand bigint,	 -- store + hoppers + in flight
	ADD COLUMN IF NOT EXISTS spoiled_pending bigint, -- spoiled, not yet destroyed
	ADD COLUMN IF NOT EXISTS held bigint,		 -- issued cards in custody (issued, stored)
	ADD COLUMN IF NOT EXISTS discrepancy bigint;	 -- stocktake differences so far
-- Most records are a job's state changes; the transfers' queries need only
-- the transfers and receipts (a partial index: by station, kind and
-- document), the report a station's records by time.
DROP INDEX IF EXISTS hub.records_kind_at;
DROP INDEX IF EXISTS hub.records_moves;
CREATE INDEX IF NOT EXISTS records_moves_by_station ON hub.records (station_id, kind, doc)
	WHERE kind IN ('transfer', 'receive');
CREATE INDEX IF NOT EXISTS records_station_at ON hub.records (station_id, at);
DROP INDEX IF EXISTS hub.records_doc;
DROP INDEX IF EXISTS hub.records_moves_doc;

-- A station's own reserve (blanks on hand at or below it raise an alarm);
-- NULL: the district's default (cetak-hub check --reserve)
ALTER TABLE hub.stations ADD COLUMN IF NOT EXISTS reserve bigint;

-- The district's settings: 'timezone' (days and months are counted in it),
-- 'office' (the name on the reports).
CREATE TABLE IF NOT EXISTS hub.settings (
	key text PRIMARY KEY,
	value text NOT NULL
);
INSERT INTO hub.settings VALUES ('timezone', 'Asia/Jakarta'), ('office', 'Dinas Kependudukan dan Pencatatan Sipil')
	ON CONFLICT DO NOTHING;
CREATE OR REPLACE FUNCTION hub.tz() RETURNS text LANGUAGE sql STABLE AS $$
	SELECT COALESCE((SELECT value FROM hub.settings WHERE key = 'timezone'), 'Asia/Jakarta')
$$;
CREATE OR REPLACE FUNCTION hub.day(at bigint) RETURNS date LANGUAGE sql STABLE AS $$
	SELECT (to_timestamp(at) AT TIME ZONE hub.tz())::date
$$;

-- Per station, day, kind, line and cause (a custody record: the state it
-- went to): the records and the cards they moved (count, or 1 for an issue
-- or a spoil). Kept by hub.rollup() as slices are merged: the district
-- queries read this, not the records.
CREATE TABLE IF NOT EXISTS hub.daily (
	station_id int NOT NULL REFERENCES hub.stations,
	day date NOT NULL,
	kind text NOT NULL,
	line text NOT NULL DEFAULT '',
	cause text NOT NULL DEFAULT '',
	events bigint NOT NULL,
	cards bigint NOT NULL,
	PRIMARY KEY (station_id, day, kind, line, cause)
);
CREATE INDEX IF NOT EXISTS daily_day ON hub.daily (day);

-- Issued and spoiled per station and day, spoiled by cause (the ledger's
-- causes, ledger/stock.c): one row per station-day, the shape of `cetak-hub
-- usage` and of the use behind days of cover.
CREATE TABLE IF NOT EXISTS hub.usage (
	station_id int NOT NULL REFERENCES hub.stations,
	day date NOT NULL,
	issued bigint NOT NULL DEFAULT 0,
	spoiled bigint NOT NULL DEFAULT 0,
	gagal_encode bigint NOT NULL DEFAULT 0,
	gagal_cetak bigint NOT NULL DEFAULT 0,
	rusak bigint NOT NULL DEFAULT 0,
	perubahan_data bigint NOT NULL DEFAULT 0,
	no_chip bigint NOT NULL DEFAULT 0,
	interrupted bigint NOT NULL DEFAULT 0,
	auth_refused bigint NOT NULL DEFAULT 0,
	counterfeit bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (station_id, day)
);
CREATE INDEX IF NOT EXISTS usage_day ON hub.usage (day);
-- issued cards leaving custody that day: collected by their holders, handed
-- to a kecamatan, withdrawn
ALTER TABLE hub.usage
	ADD COLUMN IF NOT EXISTS collected bigint NOT NULL DEFAULT 0,
	ADD COLUMN IF NOT EXISTS to_kecamatan bigint NOT NULL DEFAULT 0,
	ADD COLUMN IF NOT EXISTS withdrawn bigint NOT NULL DEFAULT 0;
-- the balance after the station's last record of the day (NULL: a day
-- rolled up before these columns): a month's opening and closing are one
-- index probe each
ALTER TABLE hub.usage
	ADD COLUMN IF NOT EXISTS on_hand bigint,
	ADD COLUMN IF NOT EXISTS spoiled_pending bigint,
	ADD COLUMN IF NOT EXISTS held bigint,
	ADD COLUMN IF NOT EXISTS discrepancy bigint;
INSERT INTO hub.usage AS u (station_id, day, on_hand, spoiled_pending, held, discrepancy)
SELECT DISTINCT ON (station_id, d) station_id, d, on_hand, spoiled_pending, held, discrepancy
FROM (SELECT r.*, (to_timestamp(r.at) AT TIME ZONE (SELECT hub.tz()))::date AS d
      FROM hub.records r WHERE r.on_hand IS NOT NULL) x
WHERE NOT EXISTS (SELECT 1 FROM hub.usage WHERE on_hand IS NOT NULL)
ORDER BY station_id, d, seq DESC
ON CONFLICT (station_id, day) DO UPDATE SET on_hand = EXCLUDED.on_hand,
	spoiled_pending = EXCLUDED.spoiled_pending, held = EXCLUDED.held,
	discrepancy = EXCLUDED.discrepancy;
-- a hub made before these columns: filled once from hub.daily
UPDATE hub.usage u SET collected = x.c, to_kecamatan = x.k, withdrawn = x.w FROM (
	SELECT station_id, day, COALESCE(sum(cards) FILTER (WHERE cause = 'collected'), 0) AS c,
	       COALESCE(sum(cards) FILTER (WHERE cause = 'transferred'), 0) AS k,
	       COALESCE(sum(cards) FILTER (WHERE cause = 'withdrawn'), 0) AS w
	FROM hub.daily WHERE kind = 'custody' GROUP BY 1, 2) x
WHERE u.station_id = x.station_id AND u.day = x.day AND u.collected + u.to_kecamatan + u.withdrawn = 0
	AND NOT EXISTS (SELECT 1 FROM hub.usage WHERE collected + to_kecamatan + withdrawn > 0);
-- the report's rarer movements by day
CREATE INDEX IF NOT EXISTS daily_moves ON hub.daily (day)
	WHERE kind IN ('receive', 'load', 'transfer', 'destroy');
-- a hub made before hub.usage: filled once from hub.daily
INSERT INTO hub.usage (station_id, day, issued, spoiled, gagal_encode, gagal_cetak, rusak, perubahan_data, no_chip, interrupted, auth_refused, counterfeit)
SELECT station_id, day, COALESCE(sum(cards) FILTER (WHERE kind = 'issue'), 0),
       COALESCE(sum(cards) FILTER (WHERE kind = 'spoil'), 0),
       COALESCE(sum(cards) FILTER (WHERE kind = 'spoil' AND cause = 'gagal_encode'), 0),
       COALESCE(sum(cards) FILTER (WHERE kind = 'spoil' AND cause = 'gagal_cetak'), 0),
       COALESCE(sum(cards) FILTER (WHERE kind = 'spoil' AND cause = 'rusak'), 0),
       COALESCE(sum(cards) FILTER (WHERE kind = 'spoil' AND cause = 'perubahan_data'), 0),
       COALESCE(sum(cards) FILTER (WHERE kind = 'spoil' AND cause = 'no_chip'), 0),
       COALESCE(sum(cards) FILTER (WHERE kind = 'spoil' AND cause = 'interrupted'), 0),
       COALESCE(sum(cards) FILTER (WHERE kind = 'spoil' AND cause = 'auth_refused'), 0),
       COALESCE(sum(cards) FILTER (WHERE kind = 'spoil' AND cause = 'counterfeit'), 0)
FROM hub.daily WHERE kind IN ('issue', 'spoil') AND NOT EXISTS (SELECT 1 FROM hub.usage)
GROUP BY 1, 2;

-- Every issued card and its custody now (no personal data: the job and the
-- chip serial). The cards waiting for collection are those issued or stored.
CREATE TABLE IF NOT EXISTS hub.cards (
	station_id int NOT NULL REFERENCES hub.stations,
	job text NOT NULL,
	chip text,
	line text,
	issued_at bigint NOT NULL,
	state text NOT NULL,
	state_at bigint NOT NULL,
	place text,
	PRIMARY KEY (station_id, job)
);
CREATE INDEX IF NOT EXISTS cards_waiting_since ON hub.cards (issued_at)
	WHERE state IN ('issued', 'stored');

-- The cards waiting for collection per station and day of issue, kept with
-- hub.cards: what `cetak-hub collection` counts by age.
CREATE TABLE IF NOT EXISTS hub.waiting (
	station_id int NOT NULL REFERENCES hub.stations,
	day date NOT NULL,
	n bigint NOT NULL,
	PRIMARY KEY (station_id, day)
);

-- Move the rollups on by the station's records after seq `after` (in the
-- merge's transaction).
CREATE OR REPLACE FUNCTION hub.rollup(sid int, after bigint) RETURNS void
LANGUAGE sql SET search_path = hub, pg_temp AS $$
	INSERT INTO hub.daily AS d (station_id, day, kind, line, cause, events, cards)
	SELECT station_id, (to_timestamp(at) AT TIME ZONE z.tz)::date, kind, COALESCE(line, ''),
	       COALESCE(cause, CASE WHEN kind = 'custody' THEN record->>'to' END, ''),
	       count(*), sum(CASE WHEN kind IN ('issue', 'spoil', 'custody') THEN 1
	                          ELSE COALESCE(count, 0) END)
	FROM hub.records CROSS JOIN (SELECT hub.tz() AS tz) z
	WHERE station_id = sid AND seq > after AND kind <> 'job'
	GROUP BY 1, 2, 3, 4, 5
	ON CONFLICT (station_id, day, kind, line, cause) DO UPDATE
		SET events = d.events + EXCLUDED.events, cards = d.cards + EXCLUDED.cards;
	INSERT INTO hub.usage AS u (station_id, day, issued, spoiled, gagal_encode, gagal_cetak, rusak, perubahan_data, no_chip, interrupted, auth_refused, counterfeit)
	SELECT station_id, (to_timestamp(at) AT TIME ZONE z.tz)::date,
	       count(*) FILTER (WHERE kind = 'issue'), count(*) FILTER (WHERE kind = 'spoil'),
	       count(*) FILTER (WHERE cause = 'gagal_encode'),
	       count(*) FILTER (WHERE cause = 'gagal_cetak'),
	       count(*) FILTER (WHERE cause = 'rusak'),
	       count(*) FILTER (WHERE cause = 'perubahan_data'),
	       count(*) FILTER (WHERE cause = 'no_chip'),
	       count(*) FILTER (WHERE cause = 'interrupted'),
	       count(*) FILTER (WHERE cause = 'auth_refused'),
	       count(*) FILTER (WHERE cause = 'counterfeit')
	FROM hub.records CROSS JOIN (SELECT hub.tz() AS tz) z
	WHERE station_id = sid AND seq > after AND kind IN ('issue', 'spoil')
	GROUP BY 1, 2
	ON CONFLICT (station_id, day) DO UPDATE SET issued = u.issued + EXCLUDED.issued,
		spoiled = u.spoiled + EXCLUDED.spoiled,
		gagal_encode = u.gagal_encode + EXCLUDED.gagal_encode,
		gagal_cetak = u.gagal_cetak + EXCLUDED.gagal_cetak,
		rusak = u.rusak + EXCLUDED.rusak,
		perubahan_data = u.perubahan_data + EXCLUDED.perubahan_data,
		no_chip = u.no_chip + EXCLUDED.no_chip,
		interrupted = u.interrupted + EXCLUDED.interrupted,
		auth_refused = u.auth_refused + EXCLUDED.auth_refused,
		counterfeit = u.counterfeit + EXCLUDED.counterfeit;
	INSERT INTO hub.usage AS u (station_id, day, collected, to_kecamatan, withdrawn)
	SELECT station_id, (to_timestamp(at) AT TIME ZONE z.tz)::date,
	       count(*) FILTER (WHERE record->>'to' = 'collected'),
	       count(*) FILTER (WHERE record->>'to' = 'transferred'),
	       count(*) FILTER (WHERE record->>'to' = 'withdrawn')
	FROM hub.records CROSS JOIN (SELECT hub.tz() AS tz) z
	WHERE station_id = sid AND seq > after AND kind = 'custody'
	GROUP BY 1, 2
	ON CONFLICT (station_id, day) DO UPDATE SET collected = u.collected + EXCLUDED.collected,
		to_kecamatan = u.to_kecamatan + EXCLUDED.to_kecamatan,
		withdrawn = u.withdrawn + EXCLUDED.withdrawn;
	INSERT INTO hub.usage AS u (station_id, day, on_hand, spoiled_pending, held, discrepancy)
	SELECT DISTINCT ON (d) station_id, d, on_hand, spoiled_pending, held, discrepancy
	FROM (SELECT r.*, (to_timestamp(r.at) AT TIME ZONE z.tz)::date AS d
	      FROM hub.records r CROSS JOIN (SELECT hub.tz() AS tz) z
	      WHERE r.station_id = sid AND r.seq > after) x
	ORDER BY d, seq DESC
	ON CONFLICT (station_id, day) DO UPDATE SET on_hand = EXCLUDED.on_hand,
		spoiled_pending = EXCLUDED.spoiled_pending, held = EXCLUDED.held,
		discrepancy = EXCLUDED.discrepancy;
	INSERT INTO hub.cards (station_id, job, chip, line, issued_at, state, state_at)
	SELECT station_id, job, chip, line, at, 'issued', at FROM hub.records
	WHERE station_id = sid AND seq > after AND kind = 'issue' AND job IS NOT NULL
	ON CONFLICT (station_id, job) DO UPDATE SET chip = EXCLUDED.chip, line = EXCLUDED.line,
		issued_at = EXCLUDED.issued_at, state = 'issued', state_at = EXCLUDED.state_at,
		place = NULL;
	INSERT INTO hub.waiting AS w (station_id, day, n)
	SELECT sid, (to_timestamp(at) AT TIME ZONE z.tz)::date, count(*)
	FROM hub.records CROSS JOIN (SELECT hub.tz() AS tz) z
	WHERE station_id = sid AND seq > after AND kind = 'issue' AND job IS NOT NULL
	GROUP BY 2
	ON CONFLICT (station_id, day) DO UPDATE SET n = w.n + EXCLUDED.n;
	WITH x AS (
		SELECT DISTINCT ON (job) job, record->>'to' AS st, at, record->>'place' AS place
		FROM hub.records WHERE station_id = sid AND seq > after AND kind = 'custody'
		ORDER BY job, seq DESC
	), y AS (
		SELECT x.*, c0.state AS old FROM x JOIN hub.cards c0 ON c0.station_id = sid AND
			c0.job = x.job
	), moved AS (
		UPDATE hub.cards c SET state = y.st, state_at = y.at, place = y.place FROM y
		WHERE c.station_id = sid AND c.job = y.job
		RETURNING c.issued_at, (y.st IN ('issued', 'stored'))::int -
			(y.old IN ('issued', 'stored'))::int AS delta
	)
	INSERT INTO hub.waiting AS w (station_id, day, n)
	SELECT sid, (to_timestamp(issued_at) AT TIME ZONE z.tz)::date, sum(delta)
	FROM moved CROSS JOIN (SELECT hub.tz() AS tz) z GROUP BY 2 HAVING sum(delta) <> 0
	ON CONFLICT (station_id, day) DO UPDATE SET n = w.n + EXCLUDED.n;
$$;

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
REVOKE ALL ON FUNCTION hub.caller(), hub.ack(), hub.push(bigint, bigint, text),
	hub.rollup(int, bigint), hub.tz(), hub.day(bigint) FROM PUBLIC;
GRANT USAGE ON SCHEMA hub TO cetak_station;
GRANT EXECUTE ON FUNCTION hub.ack(), hub.push(bigint, bigint, text) TO cetak_station;
