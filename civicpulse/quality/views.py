"""Quality pages for staff (being written)."""

from django.http import Http404, HttpRequest, HttpResponse


def _pending(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


workspace = nc_list = nc_detail = document_register = my_documents = document_detail = _pending
