"""Vietnamese news text for the synthetic portals: titles, paragraphs, captions and
signatures of district-government news, drawn from a seeded generator.

Not real articles: phrases of the kind these portals print, combined at random, with
numbers and places, so that every article has its own content hash and a realistic
length and letter mix (composed Vietnamese, about 1.3 bytes per character in UTF-8).
"""

from __future__ import annotations

import random

SUBJECTS = (
    "Ủy ban nhân dân huyện",
    "Ban Thường vụ Huyện ủy",
    "Thường trực Hội đồng nhân dân huyện",
    "Phòng Tài nguyên và Môi trường",
    "Phòng Nông nghiệp và Phát triển nông thôn",
    "Trung tâm Y tế huyện",
    "Phòng Giáo dục và Đào tạo",
    "Huyện đoàn",
    "Hội Liên hiệp Phụ nữ huyện",
    "Hội Nông dân huyện",
    "Ủy ban Mặt trận Tổ quốc Việt Nam huyện",
    "Công an huyện",
    "Ban Chỉ huy Quân sự huyện",
    "Phòng Văn hóa và Thông tin",
    "Phòng Lao động - Thương binh và Xã hội",
    "Ban Dân vận Huyện ủy",
    "Ngân hàng Chính sách xã hội huyện",
    "Hạt Kiểm lâm huyện",
    "Ủy ban kiểm tra Huyện ủy",
)
ACTIONS = (
    "tổ chức hội nghị triển khai",
    "kiểm tra tiến độ thực hiện",
    "tổng kết công tác",
    "ban hành kế hoạch",
    "sơ kết 6 tháng đầu năm về",
    "phát động phong trào thi đua về",
    "tập huấn nghiệp vụ về",
    "làm việc với các xã về",
    "giám sát việc thực hiện",
    "triển khai các giải pháp đẩy mạnh",
    "đối thoại với Nhân dân về",
    "tuyên truyền, phổ biến pháp luật về",
    "rà soát, đánh giá kết quả",
)
TOPICS = (
    "chương trình mục tiêu quốc gia giảm nghèo bền vững",
    "xây dựng nông thôn mới",
    "chuyển đổi số",
    "cải cách hành chính",
    "phòng, chống thiên tai và tìm kiếm cứu nạn",
    "phát triển kinh tế - xã hội",
    "quản lý, bảo vệ và phát triển rừng",
    "tiêm chủng mở rộng",
    "bảo đảm trật tự an toàn giao thông",
    "bảo hiểm y tế toàn dân",
    "đào tạo nghề cho lao động nông thôn",
    "phòng, chống dịch Covid-19",
    "công tác dân vận và quy chế dân chủ ở cơ sở",
    "phát triển sản xuất quế, keo và cây ăn quả",
    "hỗ trợ nhà ở cho hộ nghèo",
    "đồng bào dân tộc thiểu số và miền núi",
    "thu ngân sách nhà nước",
    "giải quyết thủ tục hành chính trên môi trường điện tử",
    "phòng cháy, chữa cháy rừng",
)
PLACES = (
    "xã Long Hiệp",
    "xã Long Mai",
    "xã Long Môn",
    "xã Long Sơn",
    "xã Thanh An",
    "xã Ba Trang",
    "thôn Kỳ Hát",
    "thôn Cà Xen",
    "thôn Gò Tranh",
    "thôn Hà Bôi",
    "thôn Mai Lãnh Hạ",
    "thôn Ba Liên",
)
OPENERS = (
    "Theo báo cáo, ",
    "Qua đó, ",
    "Tại hội nghị, ",
    "Trong thời gian qua, ",
    "Bên cạnh đó, ",
    "Để thực hiện tốt nhiệm vụ năm tới, ",
    "Phát biểu chỉ đạo, ",
    "Cũng theo kế hoạch, ",
    "",
)
PREDICATES = (
    "đã huy động {n} lượt cán bộ, đảng viên và Nhân dân tham gia",
    "đạt {pct}% kế hoạch đề ra, tăng {small}% so với cùng kỳ năm trước",
    "với tổng kinh phí hơn {money} triệu đồng từ nguồn ngân sách và vốn lồng ghép",
    "có {n} đại biểu là lãnh đạo các phòng, ban, đơn vị và Chủ tịch Ủy ban nhân dân các xã tham dự",
    "hoàn thành {small} trên {n} chỉ tiêu chủ yếu, trong đó có {small} chỉ tiêu vượt kế hoạch",
    "giải quyết đúng hạn {pct}% hồ sơ thủ tục hành chính, không để tồn đọng, kéo dài",
    "đề nghị các cơ quan, đơn vị khắc phục những hạn chế, tồn tại trước ngày {day}/{month}",
    "trao {small} suất quà, mỗi suất trị giá {money} nghìn đồng cho các hộ có hoàn cảnh khó khăn",
    "tiếp tục quán triệt, triển khai nghiêm túc các nghị quyết, chỉ thị của Trung ương và của Tỉnh ủy",
    "phấn đấu đến cuối năm giảm tỷ lệ hộ nghèo xuống còn {small}%",
)
SIGNATURES = (
    "Thị Thoang",
    "Minh Tuấn",
    "Văn Tâm",
    "Thanh Hà",
    "Đinh Thị Hồng",
    "Phạm Xuân",
    "Ngọc Ánh",
    "Hồ Văn Trung",
    "Kim Oanh",
    "Tin, ảnh: Văn Lợi",
)


class Writer:
    """Text for one article; the same seed always writes the same article."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def _numbers(self) -> dict[str, int]:
        r = self.rng
        return {
            "n": r.randint(12, 2400),
            "pct": r.randint(60, 100),
            "small": r.randint(2, 30),
            "money": r.randint(50, 9000),
            "day": r.randint(1, 28),
            "month": r.randint(1, 12),
        }

    def title(self, year: int) -> str:
        r = self.rng
        return f"{r.choice(SUBJECTS)} {r.choice(ACTIONS)} {r.choice(TOPICS)} năm {year}"

    def sentence(self) -> str:
        r = self.rng
        head = f"{r.choice(OPENERS)}{r.choice(SUBJECTS).lower() if r.random() < 0.5 else r.choice(SUBJECTS)}"
        text = f"{head} {r.choice(ACTIONS)} {r.choice(TOPICS)} tại {r.choice(PLACES)}, "
        text += r.choice(PREDICATES).format(**self._numbers()) + "."
        return text[0].upper() + text[1:]

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 6)))

    def paragraphs(self, target_bytes: int) -> list[str]:
        out: list[str] = []
        size = 0
        while size < target_bytes:
            out.append(self.paragraph())
            size += len(out[-1].encode("utf-8"))
        return out

    def caption(self) -> str:
        r = self.rng
        return f"{r.choice(SUBJECTS)} {r.choice(ACTIONS)} {r.choice(TOPICS)} tại {r.choice(PLACES)}"

    def signature(self) -> str:
        return self.rng.choice(SIGNATURES)
