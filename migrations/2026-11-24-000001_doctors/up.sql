-- Doctors and their weekly schedules. Schedule times are the clinic's wall clock
-- (CLINIC_TIMEZONE); the service turns them into instants day by day, so DST moves them.
CREATE TABLE doctors (
    id           uuid PRIMARY KEY,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    specialty    text NOT NULL CHECK (length(specialty) BETWEEN 1 AND 200),
    -- An inactive doctor keeps its appointments but is neither listed nor bookable.
    active       boolean NOT NULL DEFAULT true,
    slot_minutes integer NOT NULL DEFAULT 15 CHECK (slot_minutes BETWEEN 5 AND 240),
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);

CREATE TABLE doctor_weekly_hours (
    doctor_id  uuid NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
    -- ISO weekday: Monday = 1 ... Sunday = 7.
    weekday    smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_time time NOT NULL,
    end_time   time NOT NULL,
    CHECK (start_time < end_time),
    PRIMARY KEY (doctor_id, weekday, start_time)
);
