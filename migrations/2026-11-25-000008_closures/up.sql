-- A doctor's leave or sick day, or (doctor_id NULL) the whole clinic's holiday: the
-- instants [starts, ends) in which no slot is offered or booked. A booking and a closure
-- over its slot are ordered by advisory locks (see the adapter's closures.rs), so that
-- the booking either is among the closure's affected appointments or is refused.
CREATE TABLE closures (
    id         uuid PRIMARY KEY,
    doctor_id  uuid REFERENCES doctors (id),
    starts     timestamptz NOT NULL,
    ends       timestamptz NOT NULL,
    reason     text NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL,
    CHECK (starts < ends),
    CHECK (ends - starts <= interval '366 days')
);

-- Every lookup asks for the closures overlapping a span: `starts < until AND ends > from`.
CREATE INDEX closures_by_end ON closures (ends);
