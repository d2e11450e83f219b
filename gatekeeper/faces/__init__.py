"""The face engine: find every face, describe it, match it against enrolled people, fail closed.

Entry points: service.analyse_file / scan_files (photo or video by its bytes),
engine.analyse_photo (a photo rendition, up to 2048 px), video.analyse_video (a video
rendition: every frame, decoded by frames.py, tracked and checked by tracking.py),
gallery.template_from_photo (enrolment).
Plug-ins (plugins.DETECTORS / RECOGNISERS) are chosen by DETECTOR / RECOGNISER.
Recognition of young children is less reliable (engine.CHILDREN_CAVEAT); the gate
must hold every face that is not IDENTIFIED.
"""
