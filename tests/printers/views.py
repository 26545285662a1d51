from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from rbac.selectors import user_has_perm

from .models import Printer
from .workload import PrinterPerm


@login_required
def printer_index(request):
    if not user_has_perm(request.user, PrinterPerm.READ):
        raise PermissionDenied
    return render(request, "printers/index.html", {"printers": Printer.objects.all()})
