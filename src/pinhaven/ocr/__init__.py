"""Text in images (OCR): read each new image's words in a background job, so search finds them.

engine.py    the OCR engine (RapidOCR: PP-OCRv4 ONNX models shipped in the wheel) and the cheap
             text-likelihood check that skips pictures without text before the models run
models.py    `image_texts`: one row per image (status, text, lines with boxes and scores)
service.py   read one image and store its text; the text a pin's search document gets
handlers.py  job `ocr.read_image` {image_id} ← jobs.pipeline.on_image_ready
"""
