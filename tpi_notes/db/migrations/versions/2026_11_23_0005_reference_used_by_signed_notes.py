"""reference data used by signed notes keeps its identity

A signed note's hash covers the formulary item code and the lot number of each syringe component.
Renaming either after a signed note used it would make that note look tampered, so the database
refuses it (retiring an item or a lot, or correcting other fields, stays allowed).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

USED_ITEM = """EXISTS (SELECT 1 FROM preparation_component pc JOIN preparation p ON p.id = pc.preparation_id
    JOIN procedure_session s ON s.id = p.session_id WHERE pc.item_id = OLD.id AND s.status = 'signed')"""
USED_LOT = """EXISTS (SELECT 1 FROM preparation_component pc JOIN preparation p ON p.id = pc.preparation_id
    JOIN procedure_session s ON s.id = p.session_id WHERE pc.lot_id = OLD.id AND s.status = 'signed')"""
MESSAGE = "tpi-notes: this {what} is part of a signed note; retire it and add a new one instead"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"""CREATE TRIGGER trg_formulary_item_code_used BEFORE UPDATE OF code ON formulary_item
            WHEN NEW.code != OLD.code AND {USED_ITEM}
            BEGIN SELECT RAISE(ABORT, '{MESSAGE.format(what="formulary item code")}'); END""")
        op.execute(f"""CREATE TRIGGER trg_lot_number_used BEFORE UPDATE OF lot_number, item_id ON lot
            WHEN (NEW.lot_number != OLD.lot_number OR NEW.item_id != OLD.item_id) AND {USED_LOT}
            BEGIN SELECT RAISE(ABORT, '{MESSAGE.format(what="lot")}'); END""")
        op.execute(f"""CREATE TRIGGER trg_formulary_item_delete_used BEFORE DELETE ON formulary_item WHEN {USED_ITEM}
            BEGIN SELECT RAISE(ABORT, '{MESSAGE.format(what="formulary item")}'); END""")
        op.execute(f"""CREATE TRIGGER trg_lot_delete_used BEFORE DELETE ON lot WHEN {USED_LOT}
            BEGIN SELECT RAISE(ABORT, '{MESSAGE.format(what="lot")}'); END""")
        return
    for name, table, condition, what in (
        ("formulary_item_code_used", "formulary_item", f"(TG_OP = 'DELETE' OR NEW.code <> OLD.code) AND {USED_ITEM}",
         "formulary item"),
        ("lot_number_used", "lot",
         f"(TG_OP = 'DELETE' OR NEW.lot_number <> OLD.lot_number OR NEW.item_id <> OLD.item_id) AND {USED_LOT}", "lot"),
    ):
        # A BEFORE UPDATE trigger's return value is the row written: OLD would silently undo every update
        # (retiring an item too), so an update returns NEW and only a delete returns OLD.
        op.execute(f"""CREATE FUNCTION tpi_{name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF {condition} THEN RAISE EXCEPTION '{MESSAGE.format(what=what)}' USING ERRCODE = '23000';
            END IF; IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$""")
        op.execute(f"CREATE TRIGGER trg_{name} BEFORE UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION tpi_{name}()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("trg_formulary_item_code_used", "trg_lot_number_used", "trg_formulary_item_delete_used",
                     "trg_lot_delete_used"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        return
    for name, table in (("formulary_item_code_used", "formulary_item"), ("lot_number_used", "lot")):
        op.execute(f"DROP TRIGGER IF EXISTS trg_{name} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS tpi_{name}()")
