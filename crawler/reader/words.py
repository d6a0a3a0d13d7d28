"""The Vietnamese a reader sees for the archive's codes (levels, sources, states)."""

from __future__ import annotations

LEVELS = {
    "province": "cấp tỉnh",
    "district": "cấp huyện",
    "commune": "cấp xã",
    "agency": "cơ quan, ban ngành",
    "newspaper": "báo",
    "other": "khác",
}
SOURCES = {"live": "trực tiếp từ cổng", "wayback": "kho lưu trữ web (Wayback)"}
HEALTH_STATES = {"ok": "tốt", "warning": "cảnh báo", "failing": "hỏng", "unknown": "chưa rõ"}
RUN_STATUSES = {
    "running": "đang chạy",
    "finished": "hoàn tất",
    "failed": "thất bại",
    "interrupted": "bị ngắt",
    "timed_out": "quá thời gian",
}
SITE_STATUSES = {"active": "đang hoạt động", "retired": "đã ngừng", "redirected": "chuyển hướng sang cổng khác"}
FIELD_NAMES = {
    "title": "Tiêu đề",
    "author": "Tác giả",
    "published": "Ngày đăng",
    "lead": "Sapo",
    "body": "Nội dung",
}
#: the words of article_changes.changes
CHANGES = {"title": "tiêu đề", "body": "nội dung", "author": "tác giả", "date": "ngày đăng",
           "attachments": "tệp đính kèm"}
EVENTS = {"gone": "bị gỡ khỏi cổng", "back": "xuất hiện lại trên cổng"}


def changes(value: str | None) -> str:
    """``'title, body'`` -> ``'tiêu đề, nội dung'``; an empty change list reads as such."""
    if value is None:
        return "phiên bản đầu"
    words = [CHANGES.get(w.strip(), w.strip()) for w in value.split(",") if w.strip()]
    return ", ".join(words) if words else "không khác về nội dung"
