from approvals.operations import Change, Operation, OperationError, Target, registry

from .models import Printer
from .workload import PRINTERS, PrinterPerm


@registry.register
class PrinterDelete(Operation):
    code, label = "printer.delete", "Delete printer"
    workload = PRINTERS
    read_permission = PrinterPerm.READ

    def start_permission(self, payload: dict) -> str:
        return PrinterPerm.DELETE

    def _printer(self, payload: dict) -> Printer:
        try:
            return Printer.objects.get(pk=payload["printer_id"])
        except Printer.DoesNotExist:
            raise OperationError("The printer no longer exists.") from None

    def target(self, payload: dict) -> Target:
        printer = self._printer(payload)
        return Target(key=f"printer:{printer.pk}", label=f"Printer {printer}")

    def state(self, payload: dict) -> dict:
        return {"name": self._printer(payload).name}

    def changes(self, payload: dict) -> list[Change]:
        return [Change("Printer", before=self._printer(payload).name, after="deleted")]

    def validate(self, payload: dict, actor) -> None:
        self._printer(payload)

    def execute(self, payload: dict, actor, origin: str) -> str:
        printer = self._printer(payload)
        printer.delete()
        return f"Printer {printer} deleted"
