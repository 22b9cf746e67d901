"""Topics for every pin: a two-level taxonomy (shipped as data, editable by admins) and up to three topics
per pin with confidences, from its text (MiniLM against topic descriptions) and, with CLIP, its picture.

    taxonomy.json  the shipped taxonomy: ~30 top topics (the sign-up picker's keys among them) × subtopics
    models.py      topics, pin_topics (assignments), pin_topic_locks (owner-corrected pins)
    service.py     the taxonomy (seed, list, edit) and pins' topics (read, set by the owner, store assigned)
    classify.py    pin text → scored topics (MiniLM; a lexical fallback without the `semantic` extra; CLIP)
    handlers.py    job `topics.assign_pin` {pin_id} ← jobs.pipeline (pin created/updated), OCR text found
    browse.py      a topic's best pins (topic pages, search filter, cold start, feed caps)
"""
