"""Numbered schema migrations; each runs in one transaction and is recorded in the database."""

from __future__ import annotations

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "conversations, seen events, counters",
        """
        CREATE TABLE conversations (
            key BLOB PRIMARY KEY,          -- HMAC-SHA256(secret, platform | user id)
            flow TEXT NOT NULL,
            node TEXT NOT NULL,
            locale TEXT NOT NULL,
            slots TEXT NOT NULL,           -- JSON: enumerated values only
            history TEXT NOT NULL,         -- JSON: [[flow, node], ...]
            turn INTEGER NOT NULL,
            mode TEXT NOT NULL,
            updated_at INTEGER NOT NULL    -- unix seconds
        ) WITHOUT ROWID;
        CREATE INDEX conversations_updated ON conversations(updated_at);
        CREATE TABLE seen_events (
            key BLOB PRIMARY KEY,          -- HMAC of platform | event id
            seen_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX seen_events_at ON seen_events(seen_at);
        CREATE TABLE counters (
            week TEXT NOT NULL,            -- ISO week, e.g. 2026-W47
            flow TEXT NOT NULL,
            outcome TEXT NOT NULL,
            land TEXT NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (week, flow, outcome, land)
        ) WITHOUT ROWID;
        """,
    ),
    (
        2,
        "handoff: contacts, cases, outbox, audit, blocks",
        """
        CREATE TABLE contacts (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            lands TEXT NOT NULL,           -- JSON list of Land codes; "DE" = nationwide
            topics TEXT NOT NULL,          -- JSON list of topics; "all" = every topic
            platform TEXT,                 -- set at registration
            account TEXT,                  -- the contact's platform user id (staff, not users)
            route TEXT,                    -- where to reach them: chat id or room id
            locale TEXT NOT NULL DEFAULT 'de',
            available INTEGER NOT NULL DEFAULT 1,
            invite_hash BLOB UNIQUE,       -- SHA-256 of the one-time code, until registered
            invite_expires INTEGER,
            created_at INTEGER NOT NULL,
            UNIQUE (platform, account)
        );
        CREATE TABLE cases (
            code TEXT PRIMARY KEY,
            user_key BLOB NOT NULL,        -- the user's pseudonym
            topic TEXT NOT NULL,
            urgency TEXT NOT NULL,
            land TEXT NOT NULL,
            status TEXT NOT NULL,          -- open, claimed, closed
            contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
            circle INTEGER NOT NULL,       -- 1 Land, 2 everyone, 3 nobody free (renumbered in 5)
            user_route BLOB,               -- AES-GCM(platform | route); NULL once closed
            locale TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            claimed_at INTEGER,
            closed_at INTEGER,
            escalate_at INTEGER,
            close_reason TEXT
        ) WITHOUT ROWID;
        CREATE INDEX cases_user ON cases(user_key, created_at);
        CREATE INDEX cases_escalate ON cases(status, escalate_at);
        CREATE TABLE case_notices (
            code TEXT NOT NULL REFERENCES cases(code) ON DELETE CASCADE,
            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            PRIMARY KEY (code, contact_id)
        ) WITHOUT ROWID;
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            target TEXT NOT NULL,          -- "contact" or "user"
            contact_id INTEGER REFERENCES contacts(id) ON DELETE CASCADE,
            code TEXT REFERENCES cases(code) ON DELETE CASCADE,
            route BLOB,                    -- for users: AES-GCM(platform | route) until delivered
            kind TEXT NOT NULL,            -- what to say; rendered and translated at delivery
            attempts INTEGER NOT NULL DEFAULT 0,
            next_at INTEGER NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX outbox_due ON outbox(next_at);
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            event TEXT NOT NULL,
            code TEXT,
            role TEXT NOT NULL             -- user, contact, admin, system
        );
        CREATE INDEX audit_at ON audit(at);
        CREATE TABLE blocks (
            user_key BLOB PRIMARY KEY,
            until INTEGER NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    (
        3,
        "outbox: a random key per notice (row ids are reused after deletion)",
        """
        ALTER TABLE outbox ADD COLUMN nonce TEXT;  -- idempotency key for the platform
        """,
    ),
    (
        4,
        "limits that survive erasure: a separate limit key, counted opens, blocks by limit key",
        """
        CREATE TABLE case_opens (
            key BLOB NOT NULL,             -- HMAC-SHA256(secret, "limit" | platform | user id)
            at INTEGER NOT NULL            -- when a case was opened; purged after one day
        );
        CREATE INDEX case_opens_key ON case_opens(key, at);
        CREATE INDEX case_opens_at ON case_opens(at);
        -- the limit key while a case is open or claimed (for a block); NULL once closed
        ALTER TABLE cases ADD COLUMN limit_key BLOB;
        """,
    ),
    (
        5,
        "local layer: contacts' regions and role, the case's region",
        """
        ALTER TABLE contacts ADD COLUMN regions TEXT NOT NULL DEFAULT '[]';  -- JSON list of AGS
        ALTER TABLE contacts ADD COLUMN role TEXT NOT NULL DEFAULT 'contact';  -- or meldestelle
        ALTER TABLE cases ADD COLUMN region TEXT NOT NULL DEFAULT 'none';  -- an AGS or none
        -- the circles were 1 Land, 2 everyone, 3 nobody free; now 1 local, 2 Land, 3 everyone,
        -- 4 nobody free (bot/handoff/rules.py)
        UPDATE cases SET circle = circle + 1 WHERE circle > 0;
        """,
    ),
    (
        6,
        "statistics: weekly counts by topic, Land, region, channel, outcome (no conversation key)",
        """
        CREATE TABLE statistics (
            week TEXT NOT NULL,            -- ISO week (Europe/Berlin), e.g. 2026-W47
            topic TEXT NOT NULL,           -- taxonomy topic; "flow:<id>" for rows from before v6
            land TEXT NOT NULL,            -- Land code or "none"
            region TEXT NOT NULL,          -- AGS of the local layer or "none"
            channel TEXT NOT NULL,         -- telegram, matrix, terminal ("unknown" before v6)
            outcome TEXT NOT NULL,         -- services_shown, handoff_claimed, ... (bot.lagebild)
            count INTEGER NOT NULL,
            PRIMARY KEY (week, topic, land, region, channel, outcome)
        ) WITHOUT ROWID;
        -- the old counters (week, flow, outcome, Land) move over; "end" is no statistic any more
        INSERT INTO statistics
            SELECT week, 'flow:' || flow, land, 'none', 'unknown',
                   CASE outcome WHEN 'services' THEN 'services_shown'
                                WHEN 'emergency' THEN 'emergency_shown'
                                ELSE 'handoff_requested' END,
                   count
            FROM counters WHERE outcome IN ('services', 'emergency', 'handoff');
        DROP TABLE counters;
        """,
    ),
    (
        7,
        "anonymous surveys: the survey, per-answer counts, participants' keyed hashes",
        """
        CREATE TABLE surveys (
            id TEXT PRIMARY KEY,           -- the random code in the link
            definition TEXT NOT NULL,      -- JSON: the survey file's questions (no answers)
            opened_at INTEGER NOT NULL,
            closed_at INTEGER              -- NULL while open
        ) WITHOUT ROWID;
        CREATE TABLE survey_counts (
            survey TEXT NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
            question INTEGER NOT NULL,     -- position in the survey, from 0
            answer INTEGER NOT NULL,       -- position in the question, from 0
            count INTEGER NOT NULL,
            PRIMARY KEY (survey, question, answer)
        ) WITHOUT ROWID;
        -- HMAC-SHA256(secret, "survey" | survey | platform | user id) while the survey is open,
        -- ordered by the hash (no row id, so no order of arrival); all deleted at close
        CREATE TABLE survey_voters (
            survey TEXT NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
            voter BLOB NOT NULL,
            PRIMARY KEY (survey, voter)
        ) WITHOUT ROWID;
        """,
    ),
    (
        8,
        "Übergriff reports to a Meldestelle: fixed-choice answers until delivery, no free text",
        """
        CREATE TABLE reports (
            code TEXT PRIMARY KEY,         -- random report code (as a case code)
            user_key BLOB NOT NULL,        -- HMAC-SHA256(secret, platform | user id)
            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            user_route BLOB,               -- AES-GCM sealed "platform|route" (as cases.user_route)
            land TEXT NOT NULL,            -- Land code or "none"
            region TEXT NOT NULL,          -- AGS of the local layer or "none"
            locale TEXT NOT NULL,
            answers TEXT NOT NULL,         -- "question=value;..." fixed choices; "" once delivered
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX reports_expires ON reports(expires_at);
        -- the outbox carries report notices too: its code no longer refers to cases (rebuilt
        -- without that foreign key); a deleted case still takes its notices along (trigger)
        CREATE TABLE outbox_new (
            id INTEGER PRIMARY KEY,
            target TEXT NOT NULL,          -- "contact" or "user"
            contact_id INTEGER REFERENCES contacts(id) ON DELETE CASCADE,
            code TEXT,                     -- a case code, or a report code (kind report...)
            route BLOB,                    -- for users: AES-GCM(platform | route) until delivered
            kind TEXT NOT NULL,            -- what to say; rendered and translated at delivery
            attempts INTEGER NOT NULL DEFAULT 0,
            next_at INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            nonce TEXT                     -- idempotency key for the platform
        );
        INSERT INTO outbox_new SELECT id, target, contact_id, code, route, kind, attempts,
            next_at, created_at, nonce FROM outbox;
        DROP TABLE outbox;
        ALTER TABLE outbox_new RENAME TO outbox;
        CREATE INDEX outbox_due ON outbox(next_at);
        -- migration 9's index (IF NOT EXISTS there too): a database that had 9 before 8 (a
        -- development build) keeps it through this rebuild
        CREATE INDEX IF NOT EXISTS outbox_nonce ON outbox(nonce);
        CREATE TRIGGER cases_take_notices AFTER DELETE ON cases
            BEGIN DELETE FROM outbox WHERE code = OLD.code AND kind NOT LIKE 'report%'; END;
        """,
    ),
    (
        9,
        "sealed routes in the routes file <db>.routes (user_route and outbox.route stay NULL)",
        """
        -- The sealed routes moved to a file of their own beside the database (see
        -- bot/storage/sqlite_routes.py); the store moves any it finds here when it opens. This
        -- version keeps an older Beistand, which would find no routes, from opening the file.
        -- A waiting notice to a user owns its route by its nonce: looked up by it.
        CREATE INDEX IF NOT EXISTS outbox_nonce ON outbox(nonce);
        """,
    ),
)
