"""Page 1 of a certificate's stored PDF as a PNG, for its public verification page.

Rendered from the stored PDF (so it shows exactly what was issued) the first time it is
shown, then stored with the certificate.
"""
import io
import threading

from sqlalchemy import update

from training.extensions import db

IMAGE_WIDTH = 1400  # pixels: sharp on a high-density phone, about 200 KB
STAMP_FONT = "DejaVuSans-Bold.ttf"  # found by fontconfig's usual paths on Debian (fonts-dejavu-core)
_pdfium = threading.Lock()  # PDFium is not thread-safe


def render_png(pdf, width=IMAGE_WIDTH):
    """The first page of ``pdf`` as PNG bytes, ``width`` pixels wide."""
    import pypdfium2

    with _pdfium:
        document = pypdfium2.PdfDocument(pdf)
        try:
            page = document[0]
            image = page.render(scale=width / page.get_width()).to_pil()
        finally:
            document.close()
    output = io.BytesIO()
    image.convert("RGB").save(output, "PNG")
    return output.getvalue()


def certificate_png(certificate):
    """The stored image of a certificate, made now if it has none yet."""
    from training.certificates.models import Certificate
    from training.certificates.services import certificate_pdf

    if certificate.image_png is None:
        png = render_png(certificate_pdf(certificate))
        db.session.execute(update(Certificate).where(Certificate.id == certificate.id, Certificate.image_png.is_(None))
                           .values(image_png=png))
        db.session.commit()
        db.session.refresh(certificate)
    return certificate.image_png


def stamped(png, word):
    """``png`` with ``word`` (REVOKED, say) across it in red, large enough to read in a link preview."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.open(io.BytesIO(png)).convert("RGBA")
    band = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(band)
    width, height = image.size
    try:
        font = ImageFont.truetype(STAMP_FONT, size=max(24, height // 7))
    except OSError:  # not installed: Pillow's own font, at the same size
        font = ImageFont.load_default(size=max(24, height // 7))
    left, top, right, bottom = draw.textbbox((0, 0), word, font=font)
    middle = height // 2
    draw.rectangle((0, middle - (bottom - top), width, middle + (bottom - top)), fill=(255, 255, 255, 200))
    draw.text(((width - (right - left)) / 2 - left, middle - (bottom - top) / 2 - top), word, font=font,
              fill=(176, 20, 20, 255))
    output = io.BytesIO()
    Image.alpha_composite(image, band).convert("RGB").save(output, "PNG")
    return output.getvalue()
