"""Security headers on every response, and the visitor's address when a proxy stands in front.

Pages load scripts, styles, images and fonts from this site only, and nothing inline: an
injected ``<script>`` or ``style`` attribute does nothing. No other site may frame a page.
"""

PAGE_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
# A PDF shown in the browser is drawn by the browser's own viewer, which a page policy would
# block; the document still may not be framed by another site.
DOCUMENT_POLICY = "frame-ancestors 'none'"
HSTS = "max-age=31536000; includeSubDomains"


def set_security_headers(response, production=False):
    headers = response.headers
    policy = DOCUMENT_POLICY if response.mimetype == "application/pdf" else PAGE_POLICY
    headers.setdefault("Content-Security-Policy", policy)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    # Links in e-mails carry one-time tokens in the path: never pass an address to another site.
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if production:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app):
    production = app.config.get("ENV_NAME") == "production"
    proxies = app.config.get("PROXY_COUNT", 0)
    if proxies:
        # The visitor's address as the proxies recorded it, for rate limits and logs; only the
        # addresses they added are read, never one the visitor wrote in front of them.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=0)
    app.after_request(lambda response: set_security_headers(response, production))
