-- Signing in by a code texted to the phone. At most one live code per phone: a new one
-- replaces it. The code itself is never stored, only its HMAC under the server secret,
-- so a copy of the table does not sign anyone in.
CREATE TABLE sign_in_codes (
    phone text PRIMARY KEY,
    code_hash bytea NOT NULL,
    expires_at timestamptz NOT NULL,
    -- Wrong codes tried against this one; at the limit the code is burnt.
    wrong_attempts integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL
);

-- Every code asked for, by phone and client address, for the limits; rows older than
-- the longest limit window are of no use and are deleted as new ones come.
CREATE TABLE sign_in_requests (
    id bigserial PRIMARY KEY,
    phone text NOT NULL,
    client_ip text NOT NULL,
    requested_at timestamptz NOT NULL
);
CREATE INDEX sign_in_requests_phone ON sign_in_requests (phone, requested_at);
CREATE INDEX sign_in_requests_client_ip ON sign_in_requests (client_ip, requested_at);
CREATE INDEX sign_in_requests_age ON sign_in_requests (requested_at);

-- The stable login (`sub`) of each phone that has signed in by code.
CREATE TABLE phone_logins (
    phone text PRIMARY KEY,
    login_sub uuid NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);

-- Staff phones (`clinic staff add`): signing in with one gives a staff token.
CREATE TABLE staff_phones (
    phone text PRIMARY KEY,
    name text NOT NULL,
    admin boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL
);
