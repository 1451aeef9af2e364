"""What simulated people write: honest self-reviews, each in its own words about its own work,
and the copies a few of them make of a colleague's with some words changed (hình thức).

An honest review is drawn from phrases the guidance suggests, as real ones are, but names
its own tasks, figures and months, so two honest reviews share the form, not the text.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

_TASKS = [
    "công tác tuyên truyền nghị quyết",
    "quản lý hồ sơ đảng viên",
    "thu nộp đảng phí",
    "xây dựng nông thôn mới",
    "chuyển đổi số trong cơ quan",
    "cải cách hành chính",
    "giải quyết đơn thư của công dân",
    "phòng chống dịch bệnh trên đàn gia súc",
    "vận động nhân dân hiến đất làm đường",
    "quản lý đất đai và trật tự xây dựng",
    "giáo dục đạo đức cho học sinh",
    "kiểm tra, giám sát đảng viên",
    "phát triển đảng viên mới",
    "sinh hoạt chuyên đề của chi bộ",
    "bảo vệ môi trường khu dân cư",
    "chăm lo gia đình chính sách",
    "thu ngân sách trên địa bàn",
    "an ninh trật tự thôn xóm",
    "phong trào khuyến học",
    "hòa giải mâu thuẫn ở cơ sở",
    "tiêm chủng cho trẻ em",
    "kiểm tra an toàn thực phẩm",
    "bồi dưỡng đội ngũ giáo viên",
    "quy hoạch cán bộ nguồn",
    "xóa nhà tạm cho hộ nghèo",
    "thu gom rác thải sinh hoạt",
    "phòng cháy chữa cháy rừng",
    "tuyển quân năm nay",
    "cấp giấy chứng nhận quyền sử dụng đất",
    "chi trả trợ cấp xã hội",
]
_PLACES = [
    "thôn Đông",
    "thôn Đoài",
    "xóm Chùa",
    "xóm Bãi",
    "bản Mường",
    "khu phố 3",
    "tổ dân phố 7",
    "thôn Trung Hòa",
    "thôn Phú Xuân",
    "xóm Cầu",
    "thôn Hạ",
    "thôn Thượng",
    "bản Na",
    "khu 5",
    "thôn Tân Lập",
    "thôn An Bình",
    "xóm Mới",
    "thôn Yên Lạc",
    "trường tiểu học xã",
    "trạm y tế xã",
    "hợp tác xã Đồng Tiến",
    "chợ trung tâm",
    "nhà văn hóa thôn",
]
_PRODUCTS = [
    "hoàn thiện {n} hồ sơ đề nghị hỗ trợ",
    "làm mới {n} mét đường bê tông",
    "mở {k} lớp tập huấn",
    "lắp đặt {n} camera an ninh",
    "trồng {n} cây xanh",
    "số hóa {n} bộ hồ sơ",
    "vận động {n} hộ ký cam kết",
    "tổ chức {k} buổi đối thoại",
    "xây {k} nhà đại đoàn kết",
    "kiểm tra {n} cơ sở kinh doanh",
    "hòa giải thành {k} vụ việc",
]
_OPEN = [
    "Trong năm, tôi được phân công phụ trách {task} và {task2}.",
    "Năm qua bản thân đảm nhận {task}, đồng thời tham gia {task2}.",
    "Nhiệm vụ chính của tôi trong năm là {task}; ngoài ra còn phụ trách {task2}.",
    "Được chi bộ giao {task} và hỗ trợ {task2}, tôi đã cố gắng hoàn thành.",
]
_RESULT = [
    "Đã hoàn thành {n} trên {m} chỉ tiêu được giao, trong đó {k} chỉ tiêu vượt kế hoạch.",
    "Kết quả đạt {p} phần trăm kế hoạch năm, giải quyết xong {n} việc tồn đọng từ tháng {month}.",
    "Tham mưu ban hành {n} văn bản, tổ chức {k} cuộc họp dân về {task}.",
    "Trực tiếp xử lý {n} hồ sơ, không để quá hạn hồ sơ nào kể từ tháng {month}.",
    "Phối hợp với {k} chi hội đoàn thể, vận động được {n} hộ tham gia {task2}.",
    "Sản phẩm cụ thể là {product} tại {place} trong tháng {month}.",
    "Đến tháng {month} đã {product} ở {place}, vượt tiến độ {k} tuần.",
    "Cùng tổ công tác {product} tại {place}, được nhân dân đồng tình.",
    "Riêng {task} ở {place}, bản thân trực tiếp {product}.",
    "Ý thức trách nhiệm trong {task}, bảo đảm {p} phần trăm công việc đúng hạn.",
]
_ETHIC = [
    "Giữ gìn phẩm chất chính trị, đạo đức, lối sống; không vi phạm điều đảng viên không được làm.",
    "Luôn chấp hành sự phân công của tổ chức, đoàn kết với đồng chí, đồng nghiệp.",
    "Thực hiện nghiêm chế độ sinh hoạt đảng, đóng đảng phí đầy đủ, đúng hạn.",
    "Gương mẫu trong gia đình và nơi cư trú, tham gia đầy đủ sinh hoạt khu dân cư.",
]
_SHORT = [
    "Việc nghiên cứu {task} có lúc chưa sâu, còn để chậm {k} báo cáo trong tháng {month}.",
    "Chưa chủ động đề xuất giải pháp cho {task}, còn trông chờ chỉ đạo của cấp trên.",
    "Phối hợp với các bộ phận trong {task2} có lúc chưa chặt chẽ, để {k} việc phải làm lại.",
    "Thời gian dành cho {task} chưa nhiều, kết quả tháng {month} chưa đạt kế hoạch.",
]
_CAUSE = [
    "Nguyên nhân chủ quan là bản thân chưa sắp xếp thời gian hợp lý.",
    "Nguyên nhân chủ yếu do bản thân còn ngại khó, chưa quyết liệt.",
    "Do khối lượng công việc lớn nhưng bản thân chưa chủ động lập kế hoạch.",
]
_REMEDY = [
    "Năm tới sẽ lập kế hoạch theo tháng cho {task}, báo cáo chi bộ kết quả từng quý.",
    "Sẽ dành mỗi tuần {k} buổi nghiên cứu {task}, xin ý kiến đồng chí bí thư khi vướng mắc.",
    "Khắc phục bằng cách phân công rõ người, rõ việc trong {task2}, xong trước tháng {month}.",
]
_COMMENTS = [
    "Đồng chí cần làm rõ hơn nguyên nhân chủ quan của việc chậm {task}.",
    "Đề nghị đồng chí nêu cụ thể sản phẩm trong {task}, chưa thấy số liệu.",
    "Bản kiểm điểm khá đầy đủ, nhưng phần khắc phục {task2} cần có thời hạn cụ thể.",
    "Đồng chí còn chậm báo cáo tháng {month}, đề nghị tiếp thu và khắc phục.",
]
EMPTY_PRAISE = ["Nhất trí.", "Đồng chí gương mẫu, hoàn thành tốt.", "Không có ý kiến.", "Tốt."]
_FILLER = "đã đang sẽ rất còn các những việc công tác kết quả nhiệm vụ chủ động kịp thời".split()


@dataclass(frozen=True)
class Review:
    criteria: str
    strengths: str
    shortcoming: str
    cause: str
    remedies: str

    @property
    def words(self) -> list[str]:
        return " ".join([self.criteria, self.strengths, self.shortcoming, self.remedies]).split()


def _fill(rng: random.Random, template: str) -> str:
    task, task2 = rng.sample(_TASKS, 2)
    m = rng.randint(6, 15)
    product = rng.choice(_PRODUCTS).format(n=rng.randint(3, 400), k=rng.randint(2, 9))
    return template.format(
        task=task,
        task2=task2,
        product=product,
        place=rng.choice(_PLACES),
        n=rng.randint(2, m),
        m=m,
        k=rng.randint(1, 5),
        p=rng.randint(82, 130),
        month=rng.randint(1, 12),
    )


def honest_review(rng: random.Random) -> Review:
    """A self-review in the writer's own words about the writer's own year."""
    criteria = " ".join(_fill(rng, t) for t in [rng.choice(_OPEN), *rng.sample(_RESULT, 3)])
    return Review(
        criteria=criteria,
        strengths=_fill(rng, rng.choice(_ETHIC)),
        shortcoming=_fill(rng, rng.choice(_SHORT)),
        cause=rng.choice(_CAUSE),
        remedies=_fill(rng, rng.choice(_REMEDY)),
    )


def edit_words(rng: random.Random, text: str, share: float) -> str:
    """`text` with about `share` of its words replaced, dropped or doubled by a word added."""
    words = text.split()
    for _ in range(max(1, round(share * len(words)))):
        i = rng.randrange(len(words))
        action = rng.random()
        if action < 0.6:
            words[i] = rng.choice(_FILLER)
        elif action < 0.8 and len(words) > 1:
            del words[i]
        else:
            words.insert(i, rng.choice(_FILLER))
    return " ".join(words)


def copied_review(rng: random.Random, source: Review, share: float) -> Review:
    """A colleague's review copied with about `share` of its words edited."""
    return Review(
        criteria=edit_words(rng, source.criteria, share),
        strengths=edit_words(rng, source.strengths, share),
        shortcoming=edit_words(rng, source.shortcoming, share),
        cause=source.cause,
        remedies=edit_words(rng, source.remedies, share),
    )


def peer_comment(rng: random.Random) -> str:
    return _fill(rng, rng.choice(_COMMENTS))
